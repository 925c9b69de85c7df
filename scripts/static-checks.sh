#!/usr/bin/env bash
# The static checks, first in scripts/test.sh so that they fail fast; also run alone
# (`bash scripts/static-checks.sh`). Each prints what it ran and how long it took:
#   - actionlint (with shellcheck for the `run:` scripts) on .github/workflows/
#   - the same shellcheck on scripts/ and .ci/run
#   - every Terraform file parsed with python-hcl2, and every checkov skip explained
#   - terraform fmt -check, when a terraform binary is installed (skipped otherwise)
#   - checkov on terraform/, bounded in time
#   - the configuration tests: Config::from_lookup reads exactly config::SETTINGS, and
#     wrangler.toml, the scripts, Terraform and the README agree with it
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_python_tools

timed() {
  local label="$1" started=$SECONDS; shift
  say "$label"
  "$@"
  echo "    ($label: $((SECONDS - started)) s)"
}

actionlint_workflows() {
  # The venv's bin first, so actionlint finds the pinned shellcheck.
  PATH="$VENV/bin:$PATH" "$VENV/bin/actionlint" -no-color
}

shellcheck_scripts() {
  "$VENV/bin/shellcheck" -x --source-path=SCRIPTDIR scripts/*.sh .ci/run
}

parse_terraform() {
  "$HCL2_VENV/bin/python" - <<'PY'
import pathlib, re, sys
import hcl2

files = sorted(p for p in pathlib.Path("terraform").rglob("*")
               if p.suffix in (".tf", ".tfvars", ".tfbackend") and ".terraform" not in p.parts)
failed = False
for path in files:
    text = path.read_text()
    try:
        hcl2.loads(text)
    except Exception as error:  # the parser's errors have no common base class
        print(f"{path}: not valid HCL: {error}", file=sys.stderr)
        failed = True
    for number, line in enumerate(text.splitlines(), 1):
        skip = re.search(r"#\s*checkov:skip=(\S*)", line)
        if skip and not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+:.{20,}", skip.group(1) + line[skip.end():]):
            print(f"{path}:{number}: a checkov skip needs its check id and a reason: {line.strip()}",
                  file=sys.stderr)
            failed = True
print(f"    parsed {len(files)} Terraform files")
sys.exit(1 if failed else 0)
PY
}

terraform_fmt() {
  if command -v terraform >/dev/null; then
    # An empty CLI config: this machine's may point at mirrors fmt does not need.
    TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff terraform/
  else
    echo "    terraform is not installed: skipped terraform fmt -check (python-hcl2 parsed every file above)"
  fi
}

run_checkov() {
  # --skip-download: no guideline download; the policies are in the package.
  timeout 300 "$VENV/bin/checkov" --directory terraform --framework terraform \
    --quiet --compact --skip-download
}

config_consistency() {
  cargo test --locked -q -p tora-core --lib config::settings_tests
  cargo test --locked -q -p tora-dev --test config_consistency
}

timed "actionlint on the GitHub workflows" actionlint_workflows
timed "shellcheck on the scripts" shellcheck_scripts
timed "parsing every Terraform file (python-hcl2)" parse_terraform
timed "terraform fmt -check" terraform_fmt
timed "checkov on terraform/" run_checkov
timed "configuration: code, wrangler.toml, scripts, Terraform and README agree" config_consistency
