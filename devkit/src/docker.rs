//! Docker and Compose, the way `cargo xtask docker-images` and the compose tests use
//! them.
//!
//! - [`engine_answers`]: is there a Docker engine to talk to?
//! - [`Compose`]: one Compose project (a unique name, the repo's compose files, its
//!   own published ports), taken down with its volumes when dropped, so a test leaves
//!   no container, network or volume behind even when it fails.
//! - [`buildkit`]: a `docker build` that uses BuildKit, which the repo's `Dockerfile`
//!   needs (it builds only the stages a target uses).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::paths;

/// Set (to `1`) by `cargo xtask test` when a Docker engine answers: the compose tests
/// then fail instead of being skipped when something is missing.
pub const REQUIRE_VAR: &str = "STEADYBASE_REQUIRE_DOCKER";

/// The services with an image of their own: every team's worker (the team table's),
/// then the dashboard. Each is a target of the repository's Dockerfile.
pub fn services() -> Vec<&'static str> {
    let mut services: Vec<&'static str> = shared_contracts::teams::TEAMS
        .iter()
        .map(|team| team.worker)
        .collect();
    services.push("web");
    services
}

/// The tag of a service's image, as the compose files name it
/// (`steadybase/gtm-worker:local`).
pub fn service_image(service: &str) -> String {
    format!("steadybase/{service}:local")
}

/// Every service image ([`services`], [`service_image`]).
pub fn service_images() -> Vec<String> {
    services().into_iter().map(service_image).collect()
}

/// Whether a Docker engine answers `docker info` within a few seconds.
pub fn engine_answers() -> bool {
    let Ok(mut child) = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    for _ in 0..100 {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => return false,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Whether the engine has an image of this name and tag.
pub fn image_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The size of an image as `docker image inspect` reports it, in bytes.
pub fn image_size(name: &str) -> anyhow::Result<u64> {
    let out = run_output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        name,
    ]))?;
    out.trim()
        .parse()
        .with_context(|| format!("reading the size of image {name} from {out:?}"))
}

/// The Compose command: the `docker compose` plugin where it is installed, else the
/// standalone `docker-compose`. Both read the same file.
pub fn compose_program() -> anyhow::Result<Vec<String>> {
    let plugin = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if plugin {
        return Ok(vec!["docker".into(), "compose".into()]);
    }
    let standalone = Command::new("docker-compose")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if standalone {
        return Ok(vec!["docker-compose".into()]);
    }
    bail!("neither `docker compose` nor `docker-compose` is installed")
}

/// A `docker build` command that builds with BuildKit.
///
/// Docker 23 and later build with BuildKit through the buildx plugin; older clients
/// have BuildKit built in behind `DOCKER_BUILDKIT=1`. A machine may have a newer client
/// without the plugin beside an older one (the engine's own package): each `docker` on
/// `PATH` is tried in turn.
pub fn buildkit() -> anyhow::Result<Command> {
    let buildx = Command::new("docker")
        .args(["buildx", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if buildx {
        let mut command = Command::new("docker");
        command.args(["buildx", "build", "--load"]);
        return Ok(command);
    }
    for docker in docker_clients() {
        let version = Command::new(&docker)
            .args(["version", "--format", "{{.Client.Version}}"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_default();
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|major| major.parse().ok())
            .unwrap_or(u32::MAX);
        if major < 23 {
            let mut command = Command::new(docker);
            command.env("DOCKER_BUILDKIT", "1").arg("build");
            return Ok(command);
        }
    }
    bail!(
        "building the images needs BuildKit: install Docker's buildx plugin (Debian/Ubuntu: `apt-get install docker-buildx`)"
    )
}

/// Every `docker` executable on `PATH`, in order.
fn docker_clients() -> Vec<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut seen = Vec::new();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("docker");
        let real = std::fs::canonicalize(&candidate).unwrap_or(candidate.clone());
        if candidate.is_file() && !seen.iter().any(|(_, r): &(PathBuf, PathBuf)| *r == real) {
            seen.push((candidate, real));
        }
    }
    seen.into_iter().map(|(candidate, _)| candidate).collect()
}

/// One Compose project of the repo's stack: a unique project name, the compose files,
/// and the variables that choose its published ports. Dropping it runs
/// `down --volumes --remove-orphans`.
pub struct Compose {
    program: Vec<String>,
    project: String,
    files: Vec<PathBuf>,
    env: BTreeMap<String, String>,
}

impl Compose {
    /// A project named `project` (lowercase letters, digits, `-`) over these compose
    /// files, relative to the workspace root; `env` sets compose variables such as
    /// `WEB_PORT`.
    pub fn new(project: &str, files: &[&str], env: &[(&str, String)]) -> anyhow::Result<Self> {
        let root = paths::workspace_root();
        Ok(Self {
            program: compose_program()?,
            project: project.to_owned(),
            files: files.iter().map(|file| root.join(file)).collect(),
            env: env
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        })
    }

    /// The project's name.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// Sets a compose variable for the commands that follow; an `up` then recreates
    /// the services whose configuration it changes.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_owned(), value.to_owned());
    }

    /// `compose <args>`, its output shown only on failure.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        run_output(&mut self.command(args))
            .with_context(|| format!("compose {} (project {})", args.join(" "), self.project))
    }

    /// `compose <args>` as a command, to run as the caller likes.
    pub fn command(&self, args: &[&str]) -> Command {
        let (program, first) = self.program.split_first().expect("a compose program");
        let mut command = Command::new(program);
        command
            .args(first)
            .arg("--project-name")
            .arg(&self.project)
            .arg("--project-directory")
            .arg(paths::workspace_root());
        for file in &self.files {
            command.arg("--file").arg(file);
        }
        command
            .args(args)
            .envs(&self.env)
            .current_dir(paths::workspace_root());
        command
    }

    /// The last lines of every service's log, for a failure message.
    pub fn logs_tail(&self, lines: usize) -> String {
        let tail = lines.to_string();
        match self
            .command(&["logs", "--no-color", "--tail", &tail])
            .output()
        {
            Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Err(err) => format!("(no logs: {err})"),
        }
    }

    /// Takes the project down with its volumes; also what `Drop` does.
    pub fn down(&self) -> anyhow::Result<()> {
        self.run(&["down", "--volumes", "--remove-orphans", "--timeout", "10"])
            .map(drop)
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        if let Err(err) = self.down() {
            eprintln!(
                "warning: taking down compose project {}: {err:#}",
                self.project
            );
        }
    }
}

/// Runs `command`; its stdout on success, an error with both streams otherwise.
pub fn run_output(command: &mut Command) -> anyhow::Result<String> {
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!(
            "{:?} failed ({status}):\n{}{}",
            command.get_program(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// Runs `command` with its output going to this process's, failing on a non-zero exit.
pub fn run_visible(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Removes the containers, networks and volumes of every Compose project whose name
/// starts with `prefix`: what a test run that was killed before its clean-up left.
pub fn remove_projects(prefix: &str) -> anyhow::Result<()> {
    const LABEL: &str = "com.docker.compose.project";
    let format = |id: &str| format!("{{{{.{id}}}}} {{{{.Label \"{LABEL}\"}}}}");
    let kinds: [(&[&str], &str, &[&str]); 3] = [
        (&["ps", "--all"], "ID", &["rm", "--force", "--volumes"]),
        (&["network", "ls"], "ID", &["network", "rm"]),
        (&["volume", "ls"], "Name", &["volume", "rm", "--force"]),
    ];
    for (list, id, remove) in kinds {
        let listed = run_output(
            Command::new("docker")
                .args(list)
                .args(["--filter", &format!("label={LABEL}")])
                .args(["--format", &format(id)]),
        )?;
        let ids: Vec<&str> = listed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .filter(|(_, project)| project.starts_with(prefix))
            .map(|(id, _)| id)
            .collect();
        if !ids.is_empty() {
            run_output(Command::new("docker").args(remove).args(&ids))?;
        }
    }
    Ok(())
}
