//! The production guard: when the caller says the environment is `production`, operations that revert migrations
//! are refused unless forced. The migrator reads no environment variable itself: the caller names the environment
//! ([`crate::Migrator::environment`]), typically from [`ENV_VARS`] through [`environment_from`], as the CLI does.

/// The environment variables that conventionally name the environment, in the order the CLI reads them.
pub const ENV_VARS: [&str; 2] = ["DRIFTLESS_ENV", "APP_ENV"];

/// The first of [`ENV_VARS`] that `lookup` finds set to something other than blanks, with its value trimmed:
/// `(variable, value)`. The lookup is the caller's, so this reads nothing by itself; pass
/// `|var| std::env::var(var).ok()` to read the process environment.
///
/// ```
/// let env = driftless_migrate::environment_from(|var| (var == "APP_ENV").then(|| " production ".to_owned()));
/// assert_eq!(env, Some(("APP_ENV", "production".to_owned())));
/// ```
pub fn environment_from(lookup: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    ENV_VARS.into_iter().find_map(|var| {
        let value = lookup(var)?;
        let value = value.trim();
        (!value.is_empty()).then(|| (var, value.to_owned()))
    })
}

/// Whether an environment name means production (without regard to case or surrounding spaces).
pub(crate) fn names_production(environment: &str) -> bool {
    environment.trim().eq_ignore_ascii_case("production")
}

impl crate::Migrator {
    /// Refuses reverting `to_revert` when the environment is production, unless forced.
    pub(crate) fn production_guard(
        &self,
        operation: crate::Operation,
        to_revert: &[&crate::AppliedMigration],
    ) -> Result<(), crate::Error> {
        if self.force_production {
            return Ok(());
        }
        let env_var = match &self.environment {
            Some(env) => names_production(&env.name).then(|| env.source.clone()),
            None => None,
        };
        match env_var {
            Some(env_var) => Err(crate::Error::Production {
                command: operation.command(),
                env_var,
                migrations: to_revert.iter().map(|a| a.name.clone()).collect(),
            }),
            None => Ok(()),
        }
    }
}
