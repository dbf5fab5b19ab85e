//! Leaving big values to the operating system when the process is about to end.
//!
//! An incremental `migrate-generate` on thousands of tables spends a large part of its time freeing what it built:
//! the models, the registry's migrations, the old and new schemas (hundreds of thousands of small allocations).
//! When the command runs from a program's `main` through [`crate::main`], the process ends right after it and the
//! operating system reclaims all of its memory at once, so those values are not freed one by one. A library call
//! ([`crate::run`]) frees everything as usual: a program that runs several commands, or a test, keeps its memory.

use std::sync::atomic::{AtomicBool, Ordering};

static ENDING: AtomicBool = AtomicBool::new(false);

/// Marks the process as ending once the current command returns (set by [`crate::main`] only).
pub(crate) fn set_ending() {
    ENDING.store(true, Ordering::Relaxed);
}

/// Whether the process ends once the current command returns.
pub(crate) fn ending() -> bool {
    ENDING.load(Ordering::Relaxed)
}

/// `value`, dropped when it goes out of scope, unless the process is ending: then it is left to the operating
/// system.
pub(crate) struct Big<T> {
    value: Option<T>,
}

impl<T> Big<T> {
    pub(crate) fn new(value: T) -> Self {
        Big { value: Some(value) }
    }
}

impl<T> std::ops::Deref for Big<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("the value is there until dropped")
    }
}

impl<T> Drop for Big<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take()
            && ending()
        {
            std::mem::forget(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn a_big_value_is_freed_unless_the_process_is_ending() {
        // `ENDING` is never set in this test binary except through `crate::main`, which no unit test calls.
        let shared = Rc::new(());
        {
            let big = Big::new(Rc::clone(&shared));
            assert_eq!(Rc::strong_count(&big), 2);
        }
        assert_eq!(Rc::strong_count(&shared), 1, "dropped");
    }
}
