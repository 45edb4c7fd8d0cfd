//! The real `portal` binary as a child process: for what only a process of its own shows (its
//! resident memory, several servers on one database, what it prints when it cannot start).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running `portal serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub management: Option<String>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` of the process, in KiB.
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/<pid>/status");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `portal` command, with a private mail folder under `dir`.
pub fn portal(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTAL_MAIL_DIR", dir.join("mail"))
        .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
        .current_dir(dir);
    cmd
}

/// Starts `portal serve` on `database_url` and free ports, and waits until it says it serves.
pub fn serve(dir: &Path, database_url: &str, extra: &[&str]) -> Server {
    let mut child = portal(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--database-url", database_url])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Keeps reading after start-up so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
            let fields = &event["fields"];
            if let (Some(message), Some(port)) = (fields["message"].as_str(), fields["port"].as_u64()) {
                let _ = tx.send((message.to_owned(), port));
            }
        }
    });
    let (mut base, mut management) = (None, None);
    while base.is_none() {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((message, port)) if message == "serving" => base = Some(format!("http://127.0.0.1:{port}")),
            Ok((message, port)) if message == "serving management" => {
                management = Some(format!("http://127.0.0.1:{port}"));
            }
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                panic!("portal serve did not start ({status})");
            }
        }
    }
    Server { child, base: base.unwrap(), management }
}
