//! Embed the front-end libraries from the npm registry (installed by `npm ci` from the committed
//! lockfile) into the binary, so one file runs the platform. Third-party code is never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (file in node_modules, name served under /assets/vendor/).
const VENDOR: &[(&str, &str)] = &[
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    ("uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"),
    ("uplot/dist/uPlot.min.css", "uPlot.min.css"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    let modules = root.join("node_modules");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("package-lock.json").display()
    );
    println!("cargo:rerun-if-changed={}", modules.display());
    println!("cargo:rerun-if-changed=assets");
    println!("cargo:rerun-if-changed=templates");

    if VENDOR.iter().any(|(src, _)| !modules.join(src).exists()) {
        // A fresh clone: install exactly what the lockfile pins.
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&root)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => {
                eprintln!(
                    "civitas needs its front-end libraries: run `npm ci` in {} (npm said: {other:?})",
                    root.display()
                );
                std::process::exit(1);
            }
        }
    }

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let mut code = String::from("pub static VENDOR: &[(&str, &[u8])] = &[\n");
    for (src, name) in VENDOR {
        let from = modules.join(src);
        let to = out.join(name);
        copy(&from, &to);
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            to.display().to_string()
        ));
    }
    code.push_str("];\n");
    if let Err(e) = std::fs::write(out.join("vendor.rs"), code) {
        eprintln!("cannot write vendor.rs: {e}");
        std::process::exit(1);
    }
}

fn copy(from: &Path, to: &Path) {
    if let Err(e) = std::fs::copy(from, to) {
        eprintln!("cannot copy {} to {}: {e}", from.display(), to.display());
        std::process::exit(1);
    }
}
