//! The opt-in for the MySQL/MariaDB shadow-table recipe (`online_mysql_shadow.rs`).

impl crate::Migrator {
    /// Whether an online `set NOT NULL` on MySQL/MariaDB goes through a shadow table (pt-online-schema-change style,
    /// `online_mysql_shadow.rs`) instead of the in-place `ALTER … ALGORITHM=INPLACE, LOCK=NONE` (default: off, the
    /// in-place `ALTER`). Off by default because its cut-over `RENAME TABLE` can make one or two concurrent writer
    /// statements fail with error 1146 (`_<t>__driftless_new` doesn't exist): a write that errors, where the
    /// in-place `ALTER` only stalls writers at its end. See `docs/online.md`, "Shadow table".
    pub fn mysql_shadow_table(mut self, on: bool) -> crate::Migrator {
        self.mysql_shadow_table = on;
        self
    }
}
