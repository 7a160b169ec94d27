"""The local Lambda runtime: one long-lived process per execution environment.

Started by local/functions.py as ``python -I -S lambda_bootstrap.py`` so that, as on Lambda, the
function sees only its CodeUri, its layers and the runtime's own packages (boto3), never the
developer's virtual environment. Requests arrive as JSON lines on stdin; answers go back as JSON
lines on the pipe named by LOCAL_REPLY_FD, so that whatever the function prints or logs on stdout/stderr stays a
log line.

Environment (set by the parent): LOCAL_LAMBDA_PATHS (os.pathsep-separated import roots, in order)
and _HANDLER (module.function), plus the function's own template environment.
"""

import json
import os
import sys
import time
import traceback
import uuid


class LambdaContext:
    """The subset of the Lambda context object that Powertools and our code use."""

    def __init__(self, deadline_ms: int, request_id: str) -> None:
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error_payload(exc: BaseException) -> dict:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def _settings_check() -> list[str]:
    """Local-only: every settings model that any module this function imported may load
    (``load_settings(Model)`` anywhere in our code it has loaded) must validate against this
    function's environment. Catches a variable the code reads but the template does not declare."""
    import ast

    roots = [p for p in os.environ["LOCAL_LAMBDA_PATHS"].split(os.pathsep) if "/.local/" not in p]
    problems = []
    for name, module in list(sys.modules.items()):
        try:
            path = getattr(module, "__file__", None) or ""
        except ReferenceError:  # Jinja2's ModuleLoader package: a weak proxy, dead with its loader
            continue
        if not path.endswith(".py") or not any(path.startswith(r) for r in roots):
            continue
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "load_settings"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                model = getattr(module, node.args[0].id, None)
                if model is None:
                    continue
                try:
                    model.model_validate(dict(os.environ))
                except Exception as exc:
                    errors = exc.errors() if hasattr(exc, "errors") else [{"loc": [str(exc)]}]
                    names = ", ".join(str(e["loc"][0]).upper() for e in errors if e.get("loc"))
                    problems.append(f"{name}: {model.__name__} needs {names}")
    return sorted(set(problems))


def main() -> None:
    for root in reversed(os.environ["LOCAL_LAMBDA_PATHS"].split(os.pathsep)):
        if root:
            sys.path.insert(0, root)
    reply = os.fdopen(int(os.environ.pop("LOCAL_REPLY_FD")), "w", buffering=1)
    module_name, func_name = os.environ["_HANDLER"].rsplit(".", 1)
    try:
        import importlib

        module = importlib.import_module(module_name)
        handler = getattr(module, func_name)
        init_error = None
    except Exception as exc:  # an init error is reported on every invoke, as Lambda does
        traceback.print_exc()
        handler, init_error = None, _error_payload(exc)
    reply.write(json.dumps({"ready": init_error is None, "error": init_error}) + "\n")

    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None:
            reply.write(json.dumps({"error": init_error}) + "\n")
            continue
        if request["event"] == {"__local__": "openapi"}:
            # local-only: the function's resolver describes its routes for GET /openapi.json
            resolver = getattr(module, "app", None)
            schema = json.loads(resolver.get_openapi_json_schema()) if resolver is not None else None
            reply.write(json.dumps({"result": schema}) + "\n")
            continue
        if request["event"] == {"__local__": "settings_check"}:
            reply.write(json.dumps({"result": _settings_check()}) + "\n")
            continue
        context = LambdaContext(request["deadline_ms"], request.get("request_id") or str(uuid.uuid4()))
        os.environ["_X_AMZN_TRACE_ID"] = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        try:
            result = handler(request["event"], context)
            answer = {"result": result}
        except Exception as exc:
            traceback.print_exc()
            answer = {"error": _error_payload(exc)}
        sys.stdout.flush()
        sys.stderr.flush()
        reply.write(json.dumps(answer, default=str) + "\n")


if __name__ == "__main__":
    main()
