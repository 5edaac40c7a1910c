//! The plain files a user reads and edits (the compose files, the PostgreSQL init
//! script, the Dockerfile) say what the team table says: every team's namespace,
//! endpoint, worker, variables, metrics port, database and image, in the shapes those
//! files use. A team added to the table and not to a file fails here, naming the line
//! it lacks and the file.

use devkit::paths::workspace_root;
use shared_contracts::teams::{TEAMS, TeamSpec};

fn read(file: &str) -> String {
    std::fs::read_to_string(workspace_root().join(file)).unwrap()
}

/// Fails unless `text` (the file `file`) has a line that reads `line` once trimmed.
fn has_line(file: &str, text: &str, line: &str) {
    assert!(
        text.lines().any(|candidate| candidate.trim() == line),
        "{file} lacks the line `{line}`"
    );
}

/// The short name compose uses for a team's one-shot database job and its volume:
/// the variable prefix in lower case (`cs-db`, `cs-data`).
fn short(team: &TeamSpec) -> String {
    team.env_prefix.to_ascii_lowercase()
}

/// The team's PostgreSQL database and role: its namespace with `_` for `-`.
fn pg_name(team: &TeamSpec) -> String {
    team.namespace.replace('-', "_")
}

#[test]
fn the_compose_file_has_every_team() {
    let file = "docker-compose.yml";
    let compose = read(file);
    for team in TEAMS {
        let (worker, short, ns) = (team.worker, short(team), team.namespace);
        has_line(file, &compose, &format!("- --namespace={ns}"));
        assert!(
            compose.contains(&format!(
                "temporal operator namespace describe --namespace {ns} "
            )),
            "{file}: the temporal healthcheck does not describe namespace {ns}"
        );
        let endpoint = team.endpoint_spec();
        let ensure = format!(
            "ensure {} {} {} \"{}\"",
            endpoint.name,
            endpoint.target_namespace,
            endpoint.target_task_queue,
            endpoint.description
        );
        assert!(
            compose.contains(&ensure),
            "{file}: the nexus-endpoints job lacks `{ensure}`"
        );
        for line in [
            format!("{short}-db:"),
            format!("environment: &{short}-db"),
            format!(
                "{}: sqlite:/data/{ns}/{ns}.db?journal_mode=delete",
                team.database_url_var()
            ),
            format!("- {short}-data:/data/{ns}"),
            format!("{worker}:"),
            format!("image: steadybase/{worker}:local"),
            format!("build: {{ context: ., target: {worker} }}"),
            format!("<<: [*temporal-client, *{short}-db]"),
            format!(
                "{}: 0.0.0.0:{}",
                team.var("METRICS_BIND"),
                team.metrics_port
            ),
            format!("- \"127.0.0.1::{}\"", team.metrics_port),
            format!("test: [\"CMD\", \"{worker}\", \"healthcheck\"]"),
            format!("{short}-db: {{ condition: service_completed_successfully }}"),
            format!("- {short}-data:/data/{ns}:ro"),
            format!("{short}-data:"),
        ] {
            has_line(file, &compose, &line);
        }
    }
}

#[test]
fn the_postgres_compose_file_and_init_script_have_every_team() {
    let file = "docker-compose.postgres.yml";
    let compose = read(file);
    let init_file = "deploy/postgres/init.sql";
    let init = read(init_file);
    for team in TEAMS {
        let (worker, short, db) = (team.worker, short(team), pg_name(team));
        let url = team.database_url_var();
        for line in [
            format!("{short}-db:"),
            format!("{worker}:"),
            format!("{url}: postgres://{db}:{db}@postgres:5432/{db}"),
            format!("{url}: postgres://dashboard:dashboard@postgres:5432/{db}"),
        ] {
            has_line(file, &compose, &line);
        }
        for line in [
            format!("CREATE ROLE {db} LOGIN PASSWORD '{db}';"),
            format!("CREATE DATABASE {db} OWNER {db};"),
            format!("GRANT CONNECT ON DATABASE {db} TO {db}, dashboard;"),
            format!("\\connect {db}"),
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {db} IN SCHEMA public GRANT SELECT ON TABLES TO dashboard;"
            ),
        ] {
            has_line(init_file, &init, &line);
        }
    }
}

#[test]
fn the_dockerfile_builds_every_teams_worker() {
    let file = "Dockerfile";
    let dockerfile = read(file);
    for team in TEAMS {
        let worker = team.worker;
        for line in [
            format!("FROM runtime AS {worker}"),
            format!("COPY --from=binaries /out/{worker} /usr/local/bin/{worker}"),
            format!("ENTRYPOINT [\"{worker}\"]"),
        ] {
            has_line(file, &dockerfile, &line);
        }
        assert!(
            dockerfile.contains(&format!("--bin {worker} ")),
            "{file}: the compile stage does not build --bin {worker}"
        );
        assert!(
            dockerfile.contains(&format!("target/docker/{worker} ")),
            "{file}: the compile stage does not copy target/docker/{worker}"
        );
    }
}
