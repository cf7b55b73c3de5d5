//! Builds the browser client (`client-js/`) so the gateway can embed it.
//!
//! Runs `npm ci` (when `node_modules` is missing or older than the lock file) and
//! `npm run build` whenever the client's sources change. Set
//! `PORTHOLE_SKIP_WEB_BUILD=1` to embed whatever `client-js/dist/` already holds.

use std::path::Path;
use std::process::Command;

fn main() {
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("../client-js");
    let dist = client.join("dist");
    for p in [
        "src",
        "public",
        "index.html",
        "stock-test.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "vite.config.js",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", client.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=PORTHOLE_SKIP_WEB_BUILD");

    let skip = std::env::var("PORTHOLE_SKIP_WEB_BUILD").is_ok_and(|v| v == "1");
    if skip || !client.join("package.json").is_file() {
        if !dist.is_dir() {
            let _ = std::fs::create_dir_all(&dist);
        }
        if !skip {
            println!(
                "cargo:warning=client-js/package.json not found; the web client is not embedded"
            );
        }
        return;
    }

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let lock = client.join("package-lock.json");
    let modules = client.join("node_modules");
    let stale = match (
        modified(&lock),
        modified(&modules.join(".package-lock.json")),
    ) {
        (Some(l), Some(m)) => l > m,
        (_, None) => true,
        (None, Some(_)) => false,
    };
    if stale {
        run(
            Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
                .current_dir(&client),
            "npm ci",
        );
    }
    run(
        Command::new(npm)
            .args(["run", "build"])
            .current_dir(&client),
        "npm run build",
    );
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the web client failed: `{what}` exited with {s}. \
             Fix the error above, or set PORTHOLE_SKIP_WEB_BUILD=1 to embed client-js/dist as it is."
        ),
        Err(e) => panic!(
            "building the web client needs Node.js and npm (`{what}` could not start: {e}). \
             Install Node.js 18+ or set PORTHOLE_SKIP_WEB_BUILD=1."
        ),
    }
}
