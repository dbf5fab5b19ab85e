//! The opt-in for the MySQL/MariaDB shadow-table recipe (`online_mysql_shadow.rs`).

impl crate::Migrator {
    /// Whether an online `set NOT NULL` on MySQL/MariaDB goes through a shadow table (pt-online-schema-change style,
    /// `online_mysql_shadow.rs`) instead of the in-place `ALTER … ALGORITHM=INPLACE, LOCK=NONE` (default: off, the
    /// in-place `ALTER`). Off by default until it has more runs behind it: before its triggers were created under
    /// `LOCK TABLES`, concurrent prepared-statement writes failed with error 1146 (`tests/online_mysql_cutover.rs`).
    /// See `docs/online.md`, "Shadow table".
    pub fn mysql_shadow_table(mut self, on: bool) -> crate::Migrator {
        self.mysql_shadow_table = on;
        self
    }
}
