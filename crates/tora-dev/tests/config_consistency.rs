//! The deployment agrees with the code. `config::SETTINGS` (crates/tora-core) declares
//! every var, secret, rate limit binding and cron schedule the worker reads; these tests
//! hold `wrangler.toml` (local and production), the local scripts' `--var`s, the
//! Terraform worker (`terraform/worker.tf` and the production var file) and the README's
//! configuration table to it, and say exactly what disagrees.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// allow-*-in-tests; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl::expr::TraversalOperator;
use hcl::{Body, Expression, ObjectKey};
use tora_core::config::{SETTINGS, Setting, SettingKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|error| panic!("cannot read {relative}: {error}"))
}

/// Fails with every disagreement found, one per line.
fn assert_agree(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what} disagrees with the code (config::SETTINGS in crates/tora-core/src/config.rs) \
         or with the rest of the deployment:\n  - {}",
        problems.join("\n  - ")
    );
}

fn names_of(kind: impl Fn(&SettingKind) -> bool) -> BTreeSet<&'static str> {
    SETTINGS
        .iter()
        .filter(|setting| kind(&setting.kind))
        .map(|setting| setting.name)
        .collect()
}

fn setting(name: &str) -> Option<&'static Setting> {
    tora_core::config::setting(name)
}

/// Checks that `name`, set as a var (`as_secret` false) or a secret, is one the code
/// reads as that.
fn check_read(where_: &str, name: &str, as_secret: bool, problems: &mut Vec<String>) {
    let wanted = if as_secret {
        SettingKind::Secret
    } else {
        SettingKind::Var
    };
    match setting(name) {
        None => problems.push(format!(
            "{where_} sets `{name}`, which the worker never reads (not in config::SETTINGS)"
        )),
        Some(setting) if setting.kind != wanted => problems.push(format!(
            "{where_} sets `{name}` as a {}, but the worker reads it as a {}",
            wanted.label(),
            setting.kind.label()
        )),
        Some(_) => {}
    }
}

// --- wrangler.toml -------------------------------------------------------------

fn wrangler() -> toml::Table {
    read("wrangler.toml")
        .parse::<toml::Table>()
        .expect("wrangler.toml is TOML")
}

/// Rate limit bindings and cron schedules of one wrangler environment against the table.
fn check_bindings(where_: &str, env: &toml::Table, problems: &mut Vec<String>) {
    let mut declared = BTreeMap::new();
    for limiter in env
        .get("ratelimits")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = limiter
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("");
        let simple = limiter.get("simple");
        let number = |key: &str| {
            simple
                .and_then(|simple| simple.get(key))
                .and_then(toml::Value::as_integer)
        };
        declared.insert(name.to_owned(), (number("limit"), number("period")));
    }
    check_rate_limits(where_, &declared, problems);
    let crons: BTreeSet<String> = env
        .get("triggers")
        .and_then(|triggers| triggers.get("crons"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|cron| cron.as_str().map(str::to_owned))
        .collect();
    check_crons(where_, &crons, problems);
}

fn check_rate_limits(
    where_: &str,
    declared: &BTreeMap<String, (Option<i64>, Option<i64>)>,
    problems: &mut Vec<String>,
) {
    for (name, (limit, period)) in declared {
        match setting(name).map(|setting| setting.kind) {
            Some(SettingKind::RateLimit {
                limit: code_limit,
                period: code_period,
            }) => {
                if (*limit, *period) != (Some(code_limit.into()), Some(code_period.into())) {
                    problems.push(format!(
                        "{where_} limits `{name}` to {limit:?} per {period:?} s; the code \
                         says {code_limit} per {code_period} s"
                    ));
                }
            }
            _ => problems.push(format!(
                "{where_} binds the rate limiter `{name}`, which the worker never calls"
            )),
        }
    }
    for name in names_of(|kind| matches!(kind, SettingKind::RateLimit { .. })) {
        if !declared.contains_key(name) {
            problems.push(format!(
                "{where_} does not bind the rate limiter `{name}` the worker calls"
            ));
        }
    }
}

fn check_crons(where_: &str, crons: &BTreeSet<String>, problems: &mut Vec<String>) {
    let code: BTreeSet<String> = names_of(|kind| *kind == SettingKind::Cron)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if *crons != code {
        problems.push(format!(
            "{where_} schedules the crons {crons:?}; the code's are {code:?}"
        ));
    }
}

fn string_table(value: Option<&toml::Value>) -> BTreeMap<String, String> {
    value
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            let value = value
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| value.to_string());
            (key.clone(), value)
        })
        .collect()
}

#[test]
fn local_wrangler_binds_only_what_the_code_reads() {
    let wrangler = wrangler();
    let mut problems = Vec::new();
    for name in string_table(wrangler.get("vars")).keys() {
        check_read("wrangler.toml [vars]", name, false, &mut problems);
    }
    check_bindings("wrangler.toml", &wrangler, &mut problems);
    assert_agree("wrangler.toml (local)", problems);
}

/// The `NAME=value` pairs a script hands `start_wrangler` (its `--var`s): written in the
/// call, or in a bash array the call expands (`"${WORKER_VARS[@]}"`).
fn script_vars(script: &str) -> BTreeSet<String> {
    let text = read(script);
    let start = text
        .find("start_wrangler ")
        .unwrap_or_else(|| panic!("{script} never calls start_wrangler"));
    let call = continued_lines(&text[start..]);
    let mut names = pairs(&call);
    if let Some(array) = call
        .split("\"${")
        .nth(1)
        .and_then(|rest| rest.split_once("[@]}"))
        .map(|(name, _)| name)
    {
        let definition = text
            .find(&format!("{array}=("))
            .unwrap_or_else(|| panic!("{script} expands {array} but never defines it"));
        let body = &text[definition..];
        let end = body.find("\n)").unwrap_or(body.len());
        names.extend(pairs(&body[..end]));
    }
    names
}

/// A command's text up to the first line that does not end in `\`.
fn continued_lines(text: &str) -> String {
    let mut call = String::new();
    for line in text.lines() {
        call.push_str(line);
        call.push('\n');
        if !line.trim_end().ends_with('\\') {
            break;
        }
    }
    call
}

/// The names of the `"NAME=..."` words in `text`.
fn pairs(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(quote) = rest.find('"') {
        rest = &rest[quote + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with('=') {
            names.insert(name);
        }
    }
    names
}

#[test]
fn local_scripts_give_the_worker_every_required_setting_and_nothing_else() {
    let wrangler_vars: BTreeSet<String> =
        string_table(wrangler().get("vars")).into_keys().collect();
    let mut problems = Vec::new();
    for script in ["scripts/dev.sh", "scripts/test.sh"] {
        let passed = script_vars(script);
        for name in &passed {
            if setting(name).is_none_or(|setting| !setting.is_read_by_config()) {
                problems.push(format!(
                    "{script} passes `{name}` to wrangler dev, which the worker never reads"
                ));
            }
        }
        for setting in SETTINGS
            .iter()
            .filter(|setting| setting.required && setting.is_read_by_config())
        {
            if !passed.contains(setting.name) && !wrangler_vars.contains(setting.name) {
                problems.push(format!(
                    "{script} starts the worker without the required {} `{}` (neither \
                     passed nor in wrangler.toml [vars])",
                    setting.kind.label(),
                    setting.name
                ));
            }
        }
    }
    assert_agree("the local scripts", problems);
}

// --- Terraform -----------------------------------------------------------------

struct Terraform {
    /// Every `.tf` file by name, parsed.
    files: BTreeMap<String, Body>,
    /// Their text, to find what a resource refers to.
    text: BTreeMap<String, String>,
}

fn terraform() -> Terraform {
    let dir = root().join("terraform");
    let mut files = BTreeMap::new();
    let mut text = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("terraform/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&path).unwrap();
            let body = hcl::parse(&source)
                .unwrap_or_else(|error| panic!("terraform/{name} is not valid HCL: {error}"));
            files.insert(name.clone(), body);
            text.insert(name, source);
        }
    }
    Terraform { files, text }
}

impl Terraform {
    /// The expression of `locals { name = ... }`, in whichever file declares it.
    fn local(&self, name: &str) -> &Expression {
        self.files
            .values()
            .flat_map(|body| body.blocks())
            .filter(|block| block.identifier.as_str() == "locals")
            .flat_map(|block| block.body.attributes())
            .find(|attribute| attribute.key.as_str() == name)
            .map(|attribute| &attribute.expr)
            .unwrap_or_else(|| panic!("terraform/ declares no local `{name}`"))
    }

    /// The default of `variable "name"`, if it has one.
    fn variable_default(&self, name: &str) -> Option<&Expression> {
        self.files
            .values()
            .flat_map(|body| body.blocks())
            .filter(|block| {
                block.identifier.as_str() == "variable"
                    && block
                        .labels
                        .first()
                        .is_some_and(|label| label.as_str() == name)
            })
            .flat_map(|block| block.body.attributes())
            .find(|attribute| attribute.key.as_str() == "default")
            .map(|attribute| &attribute.expr)
    }

    /// An argument of `resource "kind" "name"`.
    fn resource_argument(&self, kind: &str, name: &str, argument: &str) -> Option<&Expression> {
        self.files
            .values()
            .flat_map(|body| body.blocks())
            .filter(|block| {
                block.identifier.as_str() == "resource"
                    && block
                        .labels
                        .first()
                        .is_some_and(|label| label.as_str() == kind)
                    && block
                        .labels
                        .get(1)
                        .is_some_and(|label| label.as_str() == name)
            })
            .flat_map(|block| block.body.attributes())
            .find(|attribute| attribute.key.as_str() == argument)
            .map(|attribute| &attribute.expr)
    }

    /// The source text of `resource "kind" ...`, up to the next top-level block.
    fn resource_text(&self, kind: &str) -> &str {
        let opening = format!("resource \"{kind}\"");
        self.text
            .values()
            .find_map(|text| {
                let start = text.find(&opening)?;
                let rest = &text[start..];
                let end = rest[1..]
                    .find("\nresource ")
                    .map_or(rest.len(), |end| end + 1);
                Some(&rest[..end])
            })
            .unwrap_or_else(|| panic!("terraform/ declares no {kind}"))
    }
}

/// The keys of an object expression; both branches of a conditional, merged.
fn object_keys(expr: &Expression) -> BTreeSet<String> {
    match expr {
        Expression::Object(object) => object
            .keys()
            .map(|key| match key {
                ObjectKey::Identifier(identifier) => identifier.as_str().to_owned(),
                ObjectKey::Expression(Expression::String(key)) => key.clone(),
                other => format!("{other:?}"),
            })
            .collect(),
        Expression::Conditional(conditional) => {
            let mut keys = object_keys(&conditional.true_expr);
            keys.extend(object_keys(&conditional.false_expr));
            keys
        }
        Expression::Parenthesis(inner) => object_keys(inner),
        _ => BTreeSet::new(),
    }
}

fn object_entry<'a>(expr: &'a Expression, key: &str) -> Option<&'a Expression> {
    let Expression::Object(object) = expr else {
        return None;
    };
    object
        .iter()
        .find_map(|(candidate, value)| match candidate {
            ObjectKey::Identifier(identifier) if identifier.as_str() == key => Some(value),
            ObjectKey::Expression(Expression::String(name)) if name == key => Some(value),
            _ => None,
        })
}

fn number(expr: Option<&Expression>) -> Option<i64> {
    match expr? {
        Expression::Number(number) => number.as_i64(),
        _ => None,
    }
}

/// `var.name` (or `tostring(var.name)`) → `name`.
fn variable_name(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::FuncCall(call) if call.name.name.as_str() == "tostring" => {
            variable_name(call.args.first()?)
        }
        Expression::Traversal(traversal) => match (&traversal.expr, traversal.operators.as_slice())
        {
            (Expression::Variable(root), [TraversalOperator::GetAttr(name)])
                if root.as_str() == "var" =>
            {
                Some(name.as_str())
            }
            _ => None,
        },
        _ => None,
    }
}

fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(text) => Some(text.clone()),
        Expression::Number(number) => Some(number.to_string()),
        Expression::Bool(value) => Some(value.to_string()),
        _ => None,
    }
}

/// The production var file's attributes.
fn prod_tfvars() -> Body {
    hcl::parse(&read("terraform/env/prod.tfvars")).expect("terraform/env/prod.tfvars is HCL")
}

/// What a `worker_vars` entry is in production, when it is known before `apply`: a
/// literal, an input variable (from prod.tfvars, else its default), `join(sep, var.x)`,
/// or an argument of a resource that is one of those (`aws_s3_bucket.uploads.bucket`).
/// `None` when the provider decides it (a Neon host, a CloudFront domain).
fn production_value(terraform: &Terraform, tfvars: &Body, expr: &Expression) -> Option<String> {
    if let Some(value) = literal(expr) {
        return Some(value);
    }
    if let Expression::FuncCall(call) = expr
        && call.name.name.as_str() == "join"
        && let [Expression::String(separator), list] = call.args.as_slice()
    {
        let Expression::Array(items) = production_expr(terraform, tfvars, list)? else {
            return None;
        };
        let items: Option<Vec<String>> = items.iter().map(literal).collect();
        return Some(items?.join(separator));
    }
    production_expr(terraform, tfvars, expr).and_then(literal)
}

/// The expression an input variable or a resource argument stands for in production.
fn production_expr<'a>(
    terraform: &'a Terraform,
    tfvars: &'a Body,
    expr: &'a Expression,
) -> Option<&'a Expression> {
    if let Some(name) = variable_name(expr) {
        return tfvars
            .attributes()
            .find(|attribute| attribute.key.as_str() == name)
            .map(|attribute| &attribute.expr)
            .or_else(|| terraform.variable_default(name));
    }
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    let (
        Expression::Variable(kind),
        [
            TraversalOperator::GetAttr(name),
            TraversalOperator::GetAttr(argument),
        ],
    ) = (&traversal.expr, traversal.operators.as_slice())
    else {
        return None;
    };
    let argument = terraform.resource_argument(kind.as_str(), name.as_str(), argument.as_str())?;
    production_expr(terraform, tfvars, argument).or(Some(argument))
}

#[test]
fn terraform_binds_every_setting_the_code_needs_and_nothing_else() {
    let terraform = terraform();
    let mut problems = Vec::new();
    let vars = object_keys(terraform.local("worker_vars"));
    let mut secrets = object_keys(terraform.local("worker_secrets"));
    let optional_secrets = object_keys(terraform.local("worker_optional_secrets"));
    secrets.extend(optional_secrets.iter().cloned());
    let not_deployed = object_keys(terraform.local("settings_not_deployed"));

    for name in &vars {
        check_read("terraform local.worker_vars", name, false, &mut problems);
    }
    for name in &secrets {
        check_read("terraform local.worker_secrets", name, true, &mut problems);
    }
    for name in &not_deployed {
        if setting(name).is_none_or(|setting| !setting.is_read_by_config()) {
            problems.push(format!(
                "terraform local.settings_not_deployed lists `{name}`, which the worker \
                 never reads"
            ));
        }
        if vars.contains(name) || secrets.contains(name) {
            problems.push(format!(
                "terraform binds `{name}` and also lists it in settings_not_deployed"
            ));
        }
    }
    for setting in SETTINGS
        .iter()
        .filter(|setting| setting.is_read_by_config())
    {
        let name = setting.name;
        let bound = vars.contains(name) || secrets.contains(name);
        if setting.required && (!bound || optional_secrets.contains(name)) {
            problems.push(format!(
                "terraform does not always bind the required {} `{name}` (add it to \
                 local.worker_vars or local.worker_secrets in terraform/worker.tf)",
                setting.kind.label()
            ));
        } else if !bound && !not_deployed.contains(name) {
            problems.push(format!(
                "terraform neither binds the {} `{name}` nor says in \
                 local.settings_not_deployed why production leaves it unset",
                setting.kind.label()
            ));
        }
    }

    let limits = terraform.local("rate_limits");
    let declared = object_keys(limits)
        .into_iter()
        .map(|name| {
            let entry = object_entry(limits, &name);
            let field = |key| number(entry.and_then(|entry| object_entry(entry, key)));
            let pair = (field("limit"), field("period"));
            (name, pair)
        })
        .collect();
    check_rate_limits("terraform local.rate_limits", &declared, &mut problems);
    let crons = match terraform.local("cron_schedules") {
        Expression::Array(items) => items.iter().filter_map(literal).collect(),
        _ => BTreeSet::new(),
    };
    check_crons("terraform local.cron_schedules", &crons, &mut problems);

    // The resources really use those tables.
    let version = terraform.resource_text("cloudflare_worker_version");
    for local in [
        "worker_vars",
        "worker_secrets",
        "worker_optional_secrets",
        "rate_limits",
    ] {
        if !version.contains(&format!("local.{local}")) {
            problems.push(format!(
                "cloudflare_worker_version's bindings do not use local.{local}"
            ));
        }
    }
    if !terraform
        .resource_text("cloudflare_workers_cron_trigger")
        .contains("local.cron_schedules")
    {
        problems.push("cloudflare_workers_cron_trigger does not use local.cron_schedules".into());
    }
    // Migrations before code: no new version gets traffic before they ran.
    if !terraform
        .resource_text("cloudflare_workers_deployment")
        .contains("terraform_data.migrations")
    {
        problems.push(
            "cloudflare_workers_deployment does not wait for terraform_data.migrations".into(),
        );
    }
    assert_agree("terraform/", problems);
}

#[test]
fn production_wrangler_matches_the_code_and_terraform() {
    let wrangler = wrangler();
    let production = wrangler
        .get("env")
        .and_then(|env| env.get("production"))
        .and_then(toml::Value::as_table)
        .expect("wrangler.toml has [env.production]");
    let terraform = terraform();
    let tfvars = prod_tfvars();
    let mut problems = Vec::new();

    let vars = string_table(production.get("vars"));
    let worker_vars = terraform.local("worker_vars");
    for (name, value) in &vars {
        check_read(
            "wrangler.toml [env.production.vars]",
            name,
            false,
            &mut problems,
        );
        match object_entry(worker_vars, name) {
            None => problems.push(format!(
                "wrangler.toml [env.production.vars] sets `{name}`, which Terraform does \
                 not bind in production"
            )),
            Some(expr) => {
                if let Some(terraform_value) = production_value(&terraform, &tfvars, expr)
                    && terraform_value != *value
                {
                    problems.push(format!(
                        "`{name}` is \"{value}\" in wrangler.toml [env.production.vars] but \
                         \"{terraform_value}\" in Terraform's production"
                    ));
                }
            }
        }
    }
    // Wrangler does not inherit [vars]: production repeats every var whose production
    // value is known before `apply`.
    for name in object_keys(worker_vars) {
        if vars.contains_key(&name) {
            continue;
        }
        let expr = object_entry(worker_vars, &name).expect("a key of worker_vars");
        if let Some(value) = production_value(&terraform, &tfvars, expr) {
            problems.push(format!(
                "wrangler.toml [env.production.vars] lacks `{name}`, which Terraform sets \
                 to \"{value}\" in production"
            ));
        }
    }
    check_bindings("wrangler.toml [env.production]", production, &mut problems);

    let date = |table: &toml::Table| {
        table
            .get("compatibility_date")
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let terraform_date = terraform
        .variable_default("worker_compatibility_date")
        .and_then(literal);
    if date(production) != date(&wrangler) || date(production) != terraform_date {
        problems.push(format!(
            "compatibility dates differ: wrangler.toml {:?}, [env.production] {:?}, \
             terraform {terraform_date:?}",
            date(&wrangler),
            date(production)
        ));
    }

    let hostname = tfvars
        .attributes()
        .find(|attribute| attribute.key.as_str() == "api_hostname")
        .and_then(|attribute| literal(&attribute.expr));
    let routes: Vec<(Option<String>, Option<bool>)> = production
        .get("routes")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .map(|route| {
            (
                route
                    .get("pattern")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned),
                route.get("custom_domain").and_then(toml::Value::as_bool),
            )
        })
        .collect();
    if routes != [(hostname.clone(), Some(true))] {
        problems.push(format!(
            "wrangler.toml [env.production] routes {routes:?}; Terraform's production custom \
             domain is {hostname:?}"
        ));
    }
    assert_agree("wrangler.toml [env.production]", problems);
}

// --- README ----------------------------------------------------------------------

/// The row the README's configuration table has for a setting.
fn readme_row(setting: &Setting) -> String {
    format!(
        "| `{}` | {} | {} | {} |",
        setting.name,
        setting.kind.label(),
        if setting.required { "yes" } else { "no" },
        setting.meaning
    )
}

#[test]
fn the_readme_configuration_table_lists_exactly_the_settings() {
    let readme = read("README.md");
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README.md has a ## Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let rows: BTreeMap<String, String> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let name = line[3..].split('`').next().unwrap_or("").to_owned();
            (name, line.to_owned())
        })
        .collect();
    let mut problems = Vec::new();
    for setting in SETTINGS {
        let expected = readme_row(setting);
        match rows.get(setting.name) {
            None => problems.push(format!(
                "the README's table has no row for `{}`; add\n    {expected}",
                setting.name
            )),
            Some(row) if *row != expected => problems.push(format!(
                "the README's row for `{}` is\n    {row}\n  the code says\n    {expected}",
                setting.name
            )),
            Some(_) => {}
        }
    }
    for name in rows.keys() {
        if setting(name).is_none() {
            problems.push(format!(
                "the README's table lists `{name}`, which the worker never reads"
            ));
        }
    }
    assert_agree("README.md ## Configuration", problems);
}
