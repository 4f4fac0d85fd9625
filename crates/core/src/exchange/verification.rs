//! Verifying an uploaded message container (issue 6, point 7, in the API and the UI): the same
//! check as `civitas exchange verify`, against the node's verification configuration (the
//! downloaded X-Road global configuration), for anyone who reads some agency's exchange.

use std::path::Path;

use super::asic::{self, Report, VerificationConf};
use crate::authz::Permission;
use crate::error::{DomainError, DomainResult};
use crate::platform::Caller;
use crate::text::Text;

/// Check `bytes` as an ASiC-E container. A container that fails a check is still a report
/// (the verdict is in it); input that cannot be checked at all, or a configuration that cannot
/// be used, is an error.
pub fn verify_upload(caller: &Caller, conf_dir: &Path, bytes: &[u8]) -> DomainResult<Report> {
    if !caller.principal.can_somewhere(Permission::ReadExchange) {
        return Err(DomainError::Forbidden {
            needed: Permission::ReadExchange.as_str().into(),
        });
    }
    let conf = VerificationConf::load_dir(conf_dir).map_err(|e| {
        tracing::warn!(error = %e, "exchange verification configuration unusable");
        DomainError::Conflict(Text::new(
            "本節點尚未設定驗證用的全域設定（請管理者將 X-Road 全域設定的 shared-params.xml 放入驗證設定目錄）",
            "this node has no usable verification configuration (an administrator must put the X-Road global configuration's shared-params.xml into the verification directory)",
        ))
    })?;
    asic::verify_container(bytes, &conf).map_err(|e| DomainError::Invalid {
        field: "file".into(),
        reason: Text::new(
            format!("這不是 ASiC-E 訊息容器：{e}"),
            format!("this is not an ASiC-E message container: {e}"),
        ),
    })
}
