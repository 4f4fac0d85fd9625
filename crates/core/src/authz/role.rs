//! The roles of the people in PRODUCT.md and the permissions each carries. The table is
//! data so that the UI can show it and the role × route test can walk it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    DataSteward,
    SocAnalyst,
    IncidentHandler,
    SecurityOfficer,
    Auditor,
    Viewer,
}

/// Actions that need a grant. Acting on one's own account (password, tokens, language)
/// needs only to be signed in and is checked by ownership instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ReadDashboard,
    ReadAgencies,
    ManageAgencies,
    ReadUsers,
    ManageUsers,
    ReadAudit,
    ManageAnyToken,
    ReadMetrics,
    ReadImports,
    ReadCatalog,
    ManageCatalog,
    /// Ask another agency for its data (a sharing request).
    RequestData,
    /// Read the data itself (not just its description): open data, the agency's own, or
    /// another agency's under an active sharing grant.
    ReadSharedData,
    /// Read the platform register, its costs and the benefit report.
    ReadPortfolio,
    /// Register platforms, enter their costs, map harvest sources to them (city-wide only).
    ManagePortfolio,
    /// Read security alerts, their notifications and the counts made from them.
    ReadAlerts,
    /// Import alerts (files, the bulk endpoint) and manage how they are classified.
    ManageAlerts,
    /// Read incidents, their legal clocks, forensic reports, findings and follow-up actions.
    ReadIncidents,
    /// Open and handle incidents: levels, timeline, forensic engagements, actions, extensions.
    ManageIncidents,
    /// Accept or send back another person's follow-up action (never one's own).
    VerifyActions,
    /// Read the exchange gateway: registered services, access grants, the message log.
    ReadExchange,
    /// Register and disable an agency's exchange services; grant and revoke access to them.
    ManageExchange,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::ReadDashboard,
        Permission::ReadAgencies,
        Permission::ManageAgencies,
        Permission::ReadUsers,
        Permission::ManageUsers,
        Permission::ReadAudit,
        Permission::ManageAnyToken,
        Permission::ReadMetrics,
        Permission::ReadImports,
        Permission::ReadCatalog,
        Permission::ManageCatalog,
        Permission::RequestData,
        Permission::ReadSharedData,
        Permission::ReadPortfolio,
        Permission::ManagePortfolio,
        Permission::ReadAlerts,
        Permission::ManageAlerts,
        Permission::ReadIncidents,
        Permission::ManageIncidents,
        Permission::VerifyActions,
        Permission::ReadExchange,
        Permission::ManageExchange,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::ReadDashboard => "read_dashboard",
            Permission::ReadAgencies => "read_agencies",
            Permission::ManageAgencies => "manage_agencies",
            Permission::ReadUsers => "read_users",
            Permission::ManageUsers => "manage_users",
            Permission::ReadAudit => "read_audit",
            Permission::ManageAnyToken => "manage_any_token",
            Permission::ReadMetrics => "read_metrics",
            Permission::ReadImports => "read_imports",
            Permission::ReadCatalog => "read_catalog",
            Permission::ManageCatalog => "manage_catalog",
            Permission::RequestData => "request_data",
            Permission::ReadSharedData => "read_shared_data",
            Permission::ReadPortfolio => "read_portfolio",
            Permission::ManagePortfolio => "manage_portfolio",
            Permission::ReadAlerts => "read_alerts",
            Permission::ManageAlerts => "manage_alerts",
            Permission::ReadIncidents => "read_incidents",
            Permission::ManageIncidents => "manage_incidents",
            Permission::VerifyActions => "verify_actions",
            Permission::ReadExchange => "read_exchange",
            Permission::ManageExchange => "manage_exchange",
        }
    }

    /// Whether using the permission changes state (what an auditor must never do).
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            Permission::ManageAgencies
                | Permission::ManageUsers
                | Permission::ManageAnyToken
                | Permission::ManageCatalog
                | Permission::RequestData
                | Permission::ManagePortfolio
                | Permission::ManageAlerts
                | Permission::ManageIncidents
                | Permission::VerifyActions
                | Permission::ManageExchange
        )
    }

    /// Whether the permission opens agencies' data itself (which may hold personal data):
    /// auditors review who read what in the access log, they do not read the data.
    pub fn reads_data(&self) -> bool {
        matches!(self, Permission::ReadSharedData)
    }
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::PlatformAdmin,
        Role::DataSteward,
        Role::SocAnalyst,
        Role::IncidentHandler,
        Role::SecurityOfficer,
        Role::Auditor,
        Role::Viewer,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::DataSteward => "data_steward",
            Role::SocAnalyst => "soc_analyst",
            Role::IncidentHandler => "incident_handler",
            Role::SecurityOfficer => "security_officer",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == text)
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            Role::PlatformAdmin => "平台管理者",
            Role::DataSteward => "機關資料管理人",
            Role::SocAnalyst => "資安監控分析人員",
            Role::IncidentHandler => "資安事件處理人員",
            Role::SecurityOfficer => "資安專責人員",
            Role::Auditor => "稽核人員",
            Role::Viewer => "檢視者",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            Role::PlatformAdmin => "Platform administrator",
            Role::DataSteward => "Agency data steward",
            Role::SocAnalyst => "SOC analyst",
            Role::IncidentHandler => "Incident handler",
            Role::SecurityOfficer => "Security officer",
            Role::Auditor => "Auditor",
            Role::Viewer => "Viewer",
        }
    }

    pub fn permissions(&self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::PlatformAdmin => Permission::ALL,
            Role::Auditor => &[
                ReadDashboard,
                ReadAgencies,
                ReadUsers,
                ReadAudit,
                ReadMetrics,
                ReadImports,
                ReadCatalog,
                ReadPortfolio,
                ReadAlerts,
                ReadIncidents,
                ReadExchange,
            ],
            Role::DataSteward => &[
                ReadDashboard,
                ReadAgencies,
                ReadImports,
                ReadCatalog,
                ManageCatalog,
                RequestData,
                ReadSharedData,
                ReadPortfolio,
                ReadExchange,
                ManageExchange,
            ],
            Role::Viewer => &[ReadDashboard, ReadAgencies, ReadCatalog, ReadSharedData],
            Role::SocAnalyst => &[
                ReadDashboard,
                ReadAgencies,
                ReadCatalog,
                ReadAlerts,
                ManageAlerts,
                ReadIncidents,
                ManageIncidents,
            ],
            Role::IncidentHandler => &[
                ReadDashboard,
                ReadAgencies,
                ReadCatalog,
                ReadAlerts,
                ReadIncidents,
                ManageIncidents,
            ],
            Role::SecurityOfficer => &[
                ReadDashboard,
                ReadAgencies,
                ReadCatalog,
                ReadAlerts,
                ReadIncidents,
                VerifyActions,
            ],
        }
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
