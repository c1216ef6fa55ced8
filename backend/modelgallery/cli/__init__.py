"""`modelgallery serve | worker | create-admin | fetch-models | check-registry |
train-skin-unet | backup | restore`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ..core.settings import Settings
from ..vision.training import skin_unet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="modelgallery", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (and the built web UI)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    admin = commands.add_parser("create-admin", help="create or promote an administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    fetch = commands.add_parser("fetch-models", help="download and verify model weights")
    fetch.add_argument("models", nargs="*", help="model names (default: every enabled model)")
    fetch.add_argument("--mirror", help="a local folder or URL prefix holding the files")

    commands.add_parser("check-registry", help="validate models.toml and list the models")

    node = commands.add_parser(
        "worker",
        help="run a worker node: take jobs from Redis (EXECUTOR=celery, docs/scaling.md)",
    )
    node.add_argument("--groups", default="", help="worker groups to serve, e.g. torch,tf")
    node.add_argument("--models", default="", help="models to serve, e.g. yolov8n,face-gender")

    backup = commands.add_parser(
        "backup",
        help="write the SQLite database, the job files and the uploaded model weights into"
        " one .tar archive",
    )
    backup.add_argument(
        "--out", type=Path, help="the archive to write (default: ./modelgallery-backup-TIME.tar)"
    )
    restore = commands.add_parser("restore", help="restore an archive written by `backup`")
    restore.add_argument("archive", type=Path)
    restore.add_argument("--data-dir", type=Path, help="where to restore (default: DATA_DIR)")
    restore.add_argument(
        "--models-dir", type=Path, help="where the weights go (default: MODELS_DIR)"
    )
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the database, secret key and job files of a folder that is not empty,"
        " and weights of the same name with other content",
    )

    train = commands.add_parser(
        "train-skin-unet", help="train the skin U-Net", description=skin_unet.DESCRIPTION
    )
    skin_unet.add_arguments(train)

    args = parser.parse_args(argv)
    if args.command == "train-skin-unet":  # needs no server settings
        return skin_unet.train(args)
    try:
        settings = Settings()
    except ValidationError as exc:
        # pydantic's own text quotes the values it read, secrets included: name the problem only.
        print(f"the settings are not valid:\n{_settings_errors(exc)}", file=sys.stderr)
        return 2
    return {
        "serve": _serve,
        "create-admin": _create_admin,
        "fetch-models": _fetch_models,
        "check-registry": _check_registry,
        "worker": _worker,
        "backup": _backup,
        "restore": _restore,
    }[args.command](settings, args)


def _settings_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(p) for p in err["loc"]).upper()
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {name}: {message}" if name else f"  {message}")
    return "\n".join(lines)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app
    from ..core.logging import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from ..core.logging import configure_logging
    from ..jobs.distributed.node import NodeSelectionError, run_node

    if settings.executor != "celery":
        print(
            "a worker node takes jobs from Redis: set EXECUTOR=celery, REDIS_URL and "
            "MONGODB_URI (and STORAGE_URL when it runs on another machine than the API)",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level, settings.log_json)
    groups = [g for g in args.groups.split(",") if g]
    models = [m for m in args.models.split(",") if m]
    try:
        return run_node(settings, groups, models)
    except NodeSelectionError as exc:
        print(f"nothing to serve: {exc}", file=sys.stderr)
        return 2


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from ..services.accounts import AccountService
    from ..services.errors import ServiceError
    from ..store import create_store

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1

    async def run() -> None:
        store = create_store(settings)
        await store.open()
        try:
            user = await AccountService(settings, store).create_admin(
                args.email, password, args.name
            )
            print(f"{user.email} is an administrator.")
        finally:
            await store.close()

    try:
        asyncio.run(run())
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0


def _fetch_models(settings: Settings, args: argparse.Namespace) -> int:
    from ..vision.registry import RegistryError, load_registry
    from ..vision.weights import FetchError, fetch_spec, unavailable_line

    try:
        registry = load_registry(settings.models_file, settings.models_dir)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    names = args.models or [n for n, s in registry.models.items() if s.enabled]
    unknown = [n for n in names if n not in registry.models]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    failed: dict[str, FetchError] = {}
    unreachable: set[str] = set()
    mirror = args.mirror or settings.models_mirror
    for name in names:
        try:
            for line in fetch_spec(registry.models[name], mirror, unreachable=unreachable):
                print(f"{name}: {line}")
        except FetchError as exc:
            failed[name] = exc
            if not exc.unreachable:  # an offline machine gets the one line below only
                print(f"{name}: {exc}", file=sys.stderr)
    if failed:
        causes = [f"{', '.join(sorted(unreachable))} unreachable"] if unreachable else []
        if any(not exc.unreachable for exc in failed.values()):
            causes.append("files could not be fetched (see above)")
        cause = " and ".join(causes)
        specs = [registry.models[name] for name in failed]
        print(unavailable_line(specs, cause, settings), file=sys.stderr)
    return 1 if failed else 0


def _check_registry(settings: Settings, args: argparse.Namespace) -> int:
    from ..vision.registry import RegistryError, load_registry

    try:
        registry = load_registry(settings.models_file, settings.models_dir)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    for spec in registry.models.values():
        missing = spec.missing_weights()
        state = "disabled" if not spec.enabled else (f"missing {missing}" if missing else "ready")
        print(f"{spec.name:24} {spec.group:8} {spec.family:50} {state}")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from .archive import BackupError
    from .backup import create_backup, default_archive_name, mongodb_howto

    if settings.mongodb_uri is not None:
        howto = mongodb_howto(
            settings.mongodb_db,
            settings.data_dir,
            settings.storage_url,
            settings.secret_key is not None,
        )
        print(howto, file=sys.stderr)
        return 2
    out = args.out or Path(default_archive_name(datetime.now(UTC)))
    try:
        summary = create_backup(settings.data_dir, out.absolute(), settings.models_dir.absolute())
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    size = summary.path.stat().st_size
    print(f"backup written: {summary.path} ({size} bytes, {summary.seconds:.1f} s)")
    print(f"  {summary.describe()}")
    for name in summary.missing:
        print(f"  left out {name}: deleted while the backup ran", file=sys.stderr)
    for weight in summary.left_out:
        if weight.problem:
            print(f"  NOT BACKED UP: {weight.sentence()}", file=sys.stderr)
        else:
            print(f"  left out {weight.sentence()}")
    if settings.storage_url:
        print(
            f"  not included: the job files in object storage ({settings.storage_url});"
            " the bucket's own versioning or backup covers them",
            file=sys.stderr,
        )
    if any(w.problem for w in summary.left_out):
        print(
            "  the archive was written without the weights named above: after a restore, the"
            " versions that use them run only once the right files are put back by hand",
            file=sys.stderr,
        )
        return 3
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from .archive import BackupError
    from .restore import restore_backup

    if settings.mongodb_uri is not None and args.data_dir is None:
        print(
            "MONGODB_URI is set, so the server would not read a restored SQLite database."
            " Restore MongoDB with mongorestore (see docs/deployment.md), or name a folder"
            " with --data-dir to restore this archive there.",
            file=sys.stderr,
        )
        return 2
    data_dir = (args.data_dir or settings.data_dir).absolute()
    models_dir = (args.models_dir or settings.models_dir).absolute()
    try:
        summary = restore_backup(args.archive, data_dir, models_dir, force=args.force)
    except BackupError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored into {summary.path} ({summary.seconds:.1f} s): {summary.describe()}")
    if summary.weights:
        kept = f" ({summary.weights_present} were there already)" if summary.weights_present else ""
        print(f"  {summary.weights} weight files into {models_dir}{kept}")
    refetch = [w.file for w in summary.left_out if w.reason == "refetch"]
    if refetch:
        print(f"  `modelgallery fetch-models` fetches again: {', '.join(refetch)}")
    for weight in summary.left_out:
        if weight.problem:  # e.g. an archive of a version before weights were backed up
            print(
                f"  not restored: {weight.sentence()}; copy it into {models_dir} from where"
                " the backup was taken",
                file=sys.stderr,
            )
        elif weight.reason != "refetch":
            print(f"  {weight.sentence()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
