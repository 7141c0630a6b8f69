#!/usr/bin/env python3
"""Least-privilege gate for the IAM policies in config/: no action may contain a wildcard
(no "s3:*", "sqs:*", "*", "s3:Get*"), no Allow may use NotAction, and Resource "*" is allowed only
for actions that have no resource-level permissions (a KMS key policy's "*" is the key itself). Reads the JSON policies and the
CloudFormation template (through cfn-lint's decoder, which understands !Sub, !If, ...).

Usage: check-iam-actions.py FILE...   (exit 1 on any finding)
"""
import json
import sys

# Actions AWS only grants on Resource "*".
RESOURCE_STAR_OK = {"ecr:GetAuthorizationToken"}


def load(path):
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    from cfnlint.decode import decode  # from the tools venv

    template, matches = decode(path)
    if matches:
        raise SystemExit(f"{path}: cannot parse: {matches}")
    return template


def as_list(value):
    """Strings of a value, descending into Fn::If branches and lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in as_list(v)]
    if isinstance(value, dict):
        if "Fn::If" in value:
            return [s for v in value["Fn::If"][1:] for s in as_list(v)]
        return ["<intrinsic>"]
    return []


def statements(node):
    """Every dict that looks like a policy statement, anywhere in the document."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements(value)


def key_policy_statement_ids(template):
    """In a KMS key policy, Resource "*" means the key itself (its ARN does not exist yet)."""
    ids = set()
    resources = template.get("Resources", {}) if isinstance(template, dict) else {}
    for resource in resources.values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::KMS::Key":
            ids.update(id(st) for st in statements(resource.get("Properties", {}).get("KeyPolicy", {})))
    return ids


def check(path):
    problems = []
    count = 0
    document = load(path)
    in_key_policy = key_policy_statement_ids(document)
    for st in statements(document):
        count += 1
        sid = st.get("Sid", "(no Sid)")
        if "NotAction" in st and st.get("Effect") == "Allow":
            problems.append(f"{path}: {sid}: Allow with NotAction grants everything else")
        actions = as_list(st.get("Action", [])) + as_list(st.get("NotAction", []))
        for action in actions:
            if "*" in action or "?" in action:
                problems.append(f"{path}: {sid}: wildcard action {action!r}")
        if st.get("Effect") == "Allow" and "*" in as_list(st.get("Resource", [])) and id(st) not in in_key_policy:
            broad = [a for a in actions if a not in RESOURCE_STAR_OK]
            if broad:
                problems.append(f"{path}: {sid}: Resource \"*\" for {', '.join(broad)}")
    return count, problems


def main(paths):
    all_problems = []
    for path in paths:
        count, problems = check(path)
        if count == 0:
            all_problems.append(f"{path}: no policy statements found (wrong file?)")
        all_problems.extend(problems)
        print(f"iam: {path}: {count} statement(s), {len(problems)} problem(s)")
    for p in all_problems:
        print(f"iam: {p}", file=sys.stderr)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
