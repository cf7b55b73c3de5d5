//! A real TigerVNC `Xvnc` for end-to-end tests of the built-in VNC back end: a free
//! display and port, SecurityTypes None or VncAuth, X clients run against it, killed on
//! drop. Installed by `scripts/install-vnc-deps.sh`.

use anyhow::{bail, Context, Result};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Xvnc.
pub struct Xvnc {
    child: Child,
    pub display: u32,
    pub port: u16,
    dir: std::path::PathBuf,
}

/// Whether Xvnc and the X tools the tests use are installed.
pub fn available() -> bool {
    ["Xvnc", "xsetroot", "vncpasswd", "xdotool"]
        .iter()
        .all(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        })
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Xvnc {
    /// Starts Xvnc at `width`×`height`; with `password`, VncAuth is required.
    pub fn start(width: u32, height: u32, password: Option<&str>) -> Result<Xvnc> {
        let dir = std::env::temp_dir().join(format!("porthole-xvnc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        // A display number whose lock and socket are free; tests in parallel take
        // different numbers (a process-wide counter, offset by the process id).
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = 100 + (std::process::id() % 50) * 20;
        let display = (0..1000)
            .map(|_| base + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1000)
            .find(|d| {
                !std::path::Path::new(&format!("/tmp/.X{d}-lock")).exists()
                    && !std::path::Path::new(&format!("/tmp/.X11-unix/X{d}")).exists()
            })
            .context("no free X display")?;
        let port = free_port()?;
        let mut cmd = Command::new("Xvnc");
        cmd.arg(format!(":{display}"))
            .args(["-geometry", &format!("{width}x{height}"), "-depth", "24"])
            .args([
                "-rfbport",
                &port.to_string(),
                "-localhost",
                "-nolisten",
                "tcp",
            ])
            .args(["-AlwaysShared", "-AcceptSetDesktopSize"]);
        match password {
            None => {
                cmd.args(["-SecurityTypes", "None"]);
            }
            Some(p) => {
                let file = dir.join("passwd");
                let out = Command::new("vncpasswd")
                    .arg("-f")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .and_then(|mut c| {
                        use std::io::Write;
                        if let Some(stdin) = c.stdin.as_mut() {
                            stdin.write_all(format!("{p}\n").as_bytes())?;
                        }
                        c.wait_with_output()
                    })
                    .context("vncpasswd failed")?;
                std::fs::write(&file, out.stdout)?;
                cmd.args(["-SecurityTypes", "VncAuth", "-PasswordFile"])
                    .arg(&file);
            }
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvnc (scripts/install-vnc-deps.sh)")?;
        let x = Xvnc {
            child,
            display,
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("Xvnc did not listen on {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(x)
    }

    /// Runs an X client against this display and waits for it.
    pub fn x(&self, program: &str, args: &[&str]) -> Result<String> {
        let out = Command::new(program)
            .args(args)
            .env("DISPLAY", format!(":{}", self.display))
            .output()
            .with_context(|| format!("cannot run {program}"))?;
        if !out.status.success() {
            bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Fills the root window with a colour like `#3366cc`.
    pub fn fill(&self, colour: &str) -> Result<()> {
        self.x("xsetroot", &["-solid", colour]).map(|_| ())
    }

    /// The pointer position as X sees it.
    pub fn pointer(&self) -> Result<(i64, i64)> {
        let s = self.x("xdotool", &["getmouselocation", "--shell"])?;
        let get = |k: &str| {
            s.lines()
                .find_map(|l| l.strip_prefix(k))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(-1)
        };
        Ok((get("X="), get("Y=")))
    }

    /// Kills the server.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Xvnc {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(format!("/tmp/.X{}-lock", self.display));
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{}", self.display));
    }
}
