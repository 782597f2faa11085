//! Which column of a user's table plays which part in a study (`role=COLUMN`).

use std::fmt;

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use serde::{Deserialize, Serialize};

/// A part a column plays in a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The customer identifier, copied to the campaign lists (default: the row number).
    Id,
    /// The outcome a model learns (churn, purchase response).
    Target,
    /// The store (or any group) churn probability is averaged over (`group` is an alias).
    Store,
    /// The columns a study clusters on or models with (comma-separated).
    Features,
}

impl Role {
    /// Every role, in the order they are documented.
    pub const ALL: [Role; 4] = [Role::Id, Role::Target, Role::Store, Role::Features];

    /// The role's name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Id => "id",
            Role::Target => "target",
            Role::Store => "store",
            Role::Features => "features",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The columns a user assigned to roles; a role left out falls back to the study's default
/// column name (that of the generated table) when the table has it.
///
/// ```
/// use cartera_study::{Role, RoleMap};
/// let map = RoleMap::parse(&["target=Exited", "features=Age,Balance"])?;
/// assert_eq!(map.get(Role::Target), Some(&["Exited".to_string()][..]));
/// assert_eq!(map.get(Role::Features).map(|f| f.len()), Some(2));
/// assert!(RoleMap::parse(&["colour=red"]).is_err());
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMap {
    entries: Vec<(Role, Vec<String>)>,
}

impl RoleMap {
    /// No roles assigned: every study uses its defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Assign `columns` to `role` (replacing an earlier assignment).
    pub fn set(mut self, role: Role, columns: &[&str]) -> Self {
        self.entries.retain(|(r, _)| *r != role);
        self.entries
            .push((role, columns.iter().map(|c| c.to_string()).collect()));
        self
    }

    /// Parse `role=COLUMN` items (`features=A,B,C` for a list; `group` is an alias of
    /// `store`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`--map`) for an item without `=`, an unknown role, an empty
    /// column name, or a role given twice.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self> {
        let mut map = RoleMap::new();
        for item in items {
            let item = item.as_ref();
            let (role, cols) = item.split_once('=').ok_or_else(|| {
                Error::invalid_param("--map", item, "expected ROLE=COLUMN, e.g. target=CHURN")
            })?;
            let role = match role.trim().to_ascii_lowercase().as_str() {
                "id" => Role::Id,
                "target" => Role::Target,
                "store" | "group" => Role::Store,
                "features" | "feature" => Role::Features,
                other => {
                    return Err(Error::invalid_param(
                        "--map",
                        item,
                        format!(
                            "unknown role `{other}`: the roles are id, target, store (or group) and features"
                        ),
                    ));
                }
            };
            let columns: Vec<&str> = cols.split(',').map(str::trim).collect();
            if columns.iter().any(|c| c.is_empty()) {
                return Err(Error::invalid_param(
                    "--map",
                    item,
                    "a column name is empty",
                ));
            }
            if map.get(role).is_some() {
                return Err(Error::invalid_param(
                    "--map",
                    item,
                    format!("role `{role}` is given twice"),
                ));
            }
            map = map.set(role, &columns);
        }
        Ok(map)
    }

    /// The columns assigned to `role`, if any.
    pub fn get(&self, role: Role) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| c.as_slice())
    }

    /// The single column of `role`: the user's (which must exist in `table`), else `default`
    /// when `table` has it, else `None`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`--map`) naming the role and the column when a mapped
    /// column is not in the table, or when a list was given for a one-column role.
    pub fn column(
        &self,
        table: &Table,
        role: Role,
        default: Option<&str>,
    ) -> Result<Option<String>> {
        match self.get(role) {
            Some([one]) => {
                check_present(table, role, one)?;
                Ok(Some(one.clone()))
            }
            Some(many) => Err(Error::invalid_param(
                "--map",
                format!("{role}={}", many.join(",")),
                format!("role `{role}` takes one column"),
            )),
            None => Ok(default
                .filter(|d| table.index_of(d).is_ok())
                .map(str::to_string)),
        }
    }

    /// The feature columns: the user's list (each must exist), else `None`.
    ///
    /// # Errors
    /// As [`column`](Self::column).
    pub fn features(&self, table: &Table) -> Result<Option<Vec<String>>> {
        match self.get(Role::Features) {
            Some(cols) => {
                for c in cols {
                    check_present(table, Role::Features, c)?;
                }
                Ok(Some(cols.to_vec()))
            }
            None => Ok(None),
        }
    }
}

fn check_present(table: &Table, role: Role, column: &str) -> Result<()> {
    if table.index_of(column).is_err() {
        let mut shown: Vec<&str> = table.names().iter().map(String::as_str).take(12).collect();
        if table.n_cols() > 12 {
            shown.push("…");
        }
        return Err(Error::invalid_param(
            "--map",
            format!("{role}={column}"),
            format!(
                "the input has no column `{column}` for role `{role}` (columns: {})",
                shown.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The column a required role resolves to, or an error naming the role.
pub(crate) fn required(map: &RoleMap, table: &Table, role: Role, default: &str) -> Result<String> {
    map.column(table, role, Some(default))?.ok_or_else(|| {
        Error::invalid_param(
            "--map",
            format!("{role}=?"),
            format!(
                "this study needs a `{role}` column and the input has no `{default}`: map one with --map {role}=COLUMN"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_preprocess::Column;

    #[test]
    fn missing_mapped_column_names_role_and_column() {
        let t = Table::from_columns(vec![("a".into(), Column::Numeric(vec![1.0]))]).unwrap();
        let m = RoleMap::parse(&["target=churn"]).unwrap();
        let e = m.column(&t, Role::Target, None).unwrap_err().to_string();
        assert!(e.contains("target") && e.contains("churn"), "{e}");
        assert_eq!(m.column(&t, Role::Id, Some("a")).unwrap(), Some("a".into()));
        assert_eq!(m.column(&t, Role::Id, Some("b")).unwrap(), None);
    }

    #[test]
    fn parse_rejects_bad_items() {
        assert!(RoleMap::parse(&["target"]).is_err());
        assert!(RoleMap::parse(&["target="]).is_err());
        assert!(RoleMap::parse(&["target=a", "target=b"]).is_err());
        let m = RoleMap::parse(&["group=TIENDA"]).unwrap();
        assert_eq!(m.get(Role::Store), Some(&["TIENDA".to_string()][..]));
    }
}
