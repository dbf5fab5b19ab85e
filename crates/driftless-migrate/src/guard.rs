//! The production guard: with `DRIFTLESS_ENV=production` (or `APP_ENV=production`), operations that revert
//! migrations are refused unless forced.

/// The environment variables that name the environment, in the order they are read.
pub const ENV_VARS: [&str; 2] = ["DRIFTLESS_ENV", "APP_ENV"];

/// The variable (and the environment) that says this is production, if one does: the first of [`ENV_VARS`] that is
/// set decides, compared without regard to case or surrounding spaces.
pub fn is_production() -> Option<&'static str> {
    for var in ENV_VARS {
        if let Ok(value) = std::env::var(var)
            && !value.trim().is_empty()
        {
            return value.trim().eq_ignore_ascii_case("production").then_some(var);
        }
    }
    None
}

/// The same decision for an explicitly given environment name.
pub(crate) fn names_production(environment: &str) -> bool {
    environment.trim().eq_ignore_ascii_case("production")
}
