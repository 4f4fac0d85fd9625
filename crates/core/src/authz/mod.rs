//! Who may do what, for which agency. Deny unless a grant allows it. Every service call
//! checks here, so the web layer and the CLI cannot forget.

mod role;

pub use role::{Permission, Role};

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::error::{DomainError, DomainResult};

/// Where a grant applies: the whole city, or one agency and everything under it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(tag = "scope", content = "agency", rename_all = "snake_case")]
pub enum Scope {
    City,
    Agency(AgencyCode),
}

impl Scope {
    pub fn agency(&self) -> Option<&AgencyCode> {
        match self {
            Scope::City => None,
            Scope::Agency(code) => Some(code),
        }
    }
}

/// A role held within a scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

/// What an action is about: something city-wide, or something owned by an agency
/// (given with its ancestors so that a bureau's grant covers its subordinate agencies).
#[derive(Debug, Clone)]
pub enum Target {
    City,
    Agency(AgencyLineage),
}

/// An agency code followed by its parent, grandparent, ... up to the city government.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyLineage(pub Vec<AgencyCode>);

impl AgencyLineage {
    pub fn agency(&self) -> Option<&AgencyCode> {
        self.0.first()
    }

    pub fn contains(&self, code: &AgencyCode) -> bool {
        self.0.iter().any(|c| c == code)
    }
}

/// Someone acting: a signed-in user, a user through an API token, or the local operator
/// using the CLI on the server itself (who already holds the data files).
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Option<i64>,
    pub user_name: String,
    pub home_agency: Option<AgencyCode>,
    pub grants: Vec<Grant>,
    pub token_id: Option<i64>,
}

/// The grant that allowed an action, kept for the audit trail.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub acting_agency: Option<AgencyCode>,
}

impl Principal {
    pub fn operator(os_user: &str) -> Self {
        Principal {
            user_id: None,
            user_name: format!("cli:{os_user}"),
            home_agency: None,
            grants: vec![Grant {
                role: Role::PlatformAdmin,
                scope: Scope::City,
            }],
            token_id: None,
        }
    }

    pub fn is_operator(&self) -> bool {
        self.user_id.is_none()
    }

    /// Allow when some grant's role carries `permission` and its scope covers `target`.
    pub fn authorize(
        &self,
        permission: Permission,
        target: &Target,
    ) -> DomainResult<Authorization> {
        let mut best: Option<&Grant> = None;
        for grant in self.grants.iter().filter(|g| g.role.has(permission)) {
            let covers = match (&grant.scope, target) {
                (Scope::City, _) => true,
                (Scope::Agency(_), Target::City) => false,
                (Scope::Agency(code), Target::Agency(lineage)) => lineage.contains(code),
            };
            if covers {
                // Prefer the narrowest grant so the audit names the agency actually acted for.
                if best.is_none() || grant.scope != Scope::City {
                    best = Some(grant);
                }
            }
        }
        match best {
            Some(grant) => Ok(Authorization {
                acting_agency: grant
                    .scope
                    .agency()
                    .cloned()
                    .or_else(|| self.home_agency.clone()),
            }),
            None => Err(DomainError::Forbidden {
                needed: permission.as_str().to_string(),
            }),
        }
    }

    pub fn can(&self, permission: Permission, target: &Target) -> bool {
        self.authorize(permission, target).is_ok()
    }

    /// True when the principal holds `permission` anywhere (to decide what to show).
    pub fn can_somewhere(&self, permission: Permission) -> bool {
        self.grants.iter().any(|g| g.role.has(permission))
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> AgencyCode {
        AgencyCode::parse(c).unwrap()
    }

    fn principal(grants: Vec<Grant>) -> Principal {
        Principal {
            user_id: Some(1),
            user_name: "u".into(),
            home_agency: None,
            grants,
            token_id: None,
        }
    }

    #[test]
    fn nothing_is_allowed_without_a_grant() {
        let p = principal(vec![]);
        assert!(!p.can(Permission::ReadAgencies, &Target::City));
    }

    #[test]
    fn a_bureau_admin_manages_its_subordinate_agency_but_not_a_sibling() {
        let p = principal(vec![Grant {
            role: Role::PlatformAdmin,
            scope: Scope::Agency(code("380330000E")),
        }]);
        let museum = Target::Agency(AgencyLineage(vec![
            code("TY-ARTMUSEUM"),
            code("380330000E"),
            code("380000000A"),
        ]));
        let police = Target::Agency(AgencyLineage(vec![code("380130000C"), code("380000000A")]));
        let auth = p.authorize(Permission::ManageUsers, &museum).unwrap();
        assert_eq!(auth.acting_agency, Some(code("380330000E")));
        assert!(!p.can(Permission::ManageUsers, &police));
        assert!(!p.can(Permission::ManageUsers, &Target::City));
    }

    #[test]
    fn an_auditor_reads_everything_and_changes_nothing() {
        let p = principal(vec![Grant {
            role: Role::Auditor,
            scope: Scope::City,
        }]);
        for perm in Permission::ALL {
            assert_eq!(
                p.can(*perm, &Target::City),
                !perm.changes_state() && !perm.reads_data(),
                "{perm:?}"
            );
        }
    }
}
