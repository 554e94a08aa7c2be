//! The container image, checked without a Docker engine: its build stage must receive
//! every file cargo needs to read the workspace and build `communs` (the files the code
//! embeds included), as `docker build` would copy them; and the image must say how to
//! check its health.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `COPY` sources and destinations of the Dockerfile's build stage (before the second
/// `FROM`), relative to the build context and to the stage's working folder.
fn build_stage_copies(dockerfile: &str) -> Vec<(Vec<String>, String)> {
    let mut copies = Vec::new();
    for line in dockerfile
        .lines()
        .skip_while(|line| !line.starts_with("FROM "))
        .skip(1)
        .take_while(|line| !line.starts_with("FROM "))
    {
        let Some(arguments) = line.strip_prefix("COPY ") else {
            continue;
        };
        let mut words: Vec<String> = arguments
            .split_whitespace()
            .filter(|word| !word.starts_with("--"))
            .map(str::to_owned)
            .collect();
        let destination = words.pop().expect("a COPY has a destination");
        copies.push((words, destination));
    }
    copies
}

/// Whether `.dockerignore` keeps `path` (relative to the context) out of the context.
fn ignored(patterns: &[String], path: &Path) -> bool {
    patterns
        .iter()
        .any(|pattern| path.starts_with(pattern.trim_end_matches('/')))
}

fn copy_into(context: &Path, source: &Path, target: &Path, patterns: &[String]) {
    let relative = source.strip_prefix(context).unwrap();
    if ignored(patterns, relative) {
        return;
    }
    if source.is_dir() {
        std::fs::create_dir_all(target).unwrap();
        for entry in std::fs::read_dir(source).unwrap() {
            let entry = entry.unwrap();
            copy_into(
                context,
                &entry.path(),
                &target.join(entry.file_name()),
                patterns,
            );
        }
    } else {
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(source, target).unwrap();
    }
}

/// The build stage's folder, as `docker build` fills it from the repository.
fn build_stage() -> tempfile::TempDir {
    let context = repository();
    let dockerfile = std::fs::read_to_string(context.join("Dockerfile")).unwrap();
    let patterns: Vec<String> = std::fs::read_to_string(context.join(".dockerignore"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let stage = tempfile::tempdir().unwrap();
    for (sources, destination) in build_stage_copies(&dockerfile) {
        for source in &sources {
            let target = if sources.len() > 1 || destination.ends_with('/') {
                stage.path().join(&destination).join(source)
            } else {
                stage.path().join(&destination)
            };
            copy_into(&context, &context.join(source), &target, &patterns);
        }
    }
    stage
}

#[test]
fn the_image_build_stage_receives_every_workspace_member_and_its_sources() {
    let stage = build_stage();

    // What `cargo build --bin communs` reads first: every member of the workspace.
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(stage.path().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the image's build stage cannot read the workspace: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let members = metadata["workspace_members"].as_array().unwrap();
    for package in metadata["packages"].as_array().unwrap() {
        if !members.contains(&package["id"]) {
            continue;
        }
        for target in package["targets"].as_array().unwrap() {
            let path = PathBuf::from(target["src_path"].as_str().unwrap());
            let kinds = target["kind"].to_string();
            if kinds.contains("lib") || kinds.contains("bin") {
                assert!(
                    path.exists(),
                    "the image's build stage lacks {} of {}",
                    path.display(),
                    package["name"]
                );
            }
        }
    }
}

#[test]
fn the_image_is_built_with_the_repositorys_cargo_settings() {
    // They choose how the allocator is compiled: an image built without them would hold
    // on to the memory a large export freed.
    let stage = build_stage();
    let settings = std::fs::read_to_string(repository().join(".cargo/config.toml")).unwrap();
    assert_eq!(
        std::fs::read_to_string(stage.path().join(".cargo/config.toml")).ok(),
        Some(settings),
        "the image's build stage lacks .cargo/config.toml: COPY it"
    );
}

/// The files the Rust sources under `folder` embed (`include_str!`, `include_bytes!`),
/// relative to the repository.
fn embedded_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let include = regex::Regex::new(r#"include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)"#).unwrap();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            embedded_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            for embedded in include.captures_iter(&source) {
                let file = path.parent().unwrap().join(&embedded[1]);
                let file = file.canonicalize().unwrap_or(file);
                let repository = repository().canonicalize().unwrap();
                found.push(file.strip_prefix(&repository).unwrap_or(&file).to_owned());
            }
        }
    }
}

#[test]
fn the_image_build_stage_receives_every_file_the_code_embeds() {
    let stage = build_stage();
    let mut embedded = Vec::new();
    for member in ["src", "entity/src", "migration/src"] {
        embedded_files(&repository().join(member), &mut embedded);
    }
    assert!(
        embedded.iter().any(|file| file.starts_with("assets")),
        "GraphiQL's files are found: {embedded:?}"
    );
    for file in embedded {
        assert!(
            repository().join(&file).is_file(),
            "{} is embedded but missing",
            file.display()
        );
        assert!(
            stage.path().join(&file).is_file(),
            "the image's build stage lacks {}, which the code embeds: COPY its folder",
            file.display()
        );
    }
}

#[test]
fn the_image_checks_its_own_health_on_readyz() {
    let dockerfile = std::fs::read_to_string(repository().join("Dockerfile")).unwrap();
    let healthcheck = dockerfile
        .lines()
        .position(|line| line.starts_with("HEALTHCHECK "))
        .expect("a HEALTHCHECK instruction");
    let instruction: String = dockerfile.lines().skip(healthcheck).take(2).collect();
    assert!(instruction.contains("/readyz"), "{instruction}");
}
