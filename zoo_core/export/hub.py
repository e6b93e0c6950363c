"""The Hugging Face Hub: ``hf://OWNER/NAME[@REVISION]`` references downloaded with ``snapshot_download`` (into
huggingface_hub's own cache; with HF_HUB_OFFLINE=1 only the cache is read), and `zoo push`, which uploads an
exported folder with ``HfApi``. The folder is the one `zoo export --format hf` writes (``folder.py``)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from zoo_core.errors import ArtifactError, ZooError

PREFIX = "hf://"
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


def require_hub():
    try:
        import huggingface_hub
    except ImportError:
        raise ZooError("hf:// models and zoo push need huggingface_hub; install it: pip install 'zoo-core[hub]'") from None
    return huggingface_hub


def parse(reference: str) -> tuple[str, Optional[str]]:
    """``hf://OWNER/NAME[@REVISION]`` as (repo id, revision or None)."""
    repo_id, _, revision = reference[len(PREFIX):].partition("@")
    check_repo_id(repo_id, reference)
    if "@" in reference[len(PREFIX):] and not revision:
        raise ZooError(f"{reference}: nothing after '@'; give a branch, tag or commit (hf://{repo_id}@main)")
    return repo_id, revision or None


def check_repo_id(repo_id: str, shown: str) -> str:
    if not REPO_ID.match(repo_id):
        raise ZooError(f"{shown}: give a Hub repository as OWNER/NAME (letters, digits, '-', '_', '.'), "
                       "e.g. hf://alice/rt-sentiment@v1")
    return repo_id


def download(reference: str) -> Path:
    """The local folder of an hf:// reference: downloaded into the Hugging Face cache, or found there."""
    hub = require_hub()
    from huggingface_hub import constants, errors

    repo_id, revision = parse(reference)
    try:
        return Path(hub.snapshot_download(repo_id, revision=revision, library_name="rnn-zoo"))
    except errors.RevisionNotFoundError:
        raise ArtifactError(f"{reference}: repository {repo_id} has no revision '{revision}'") from None
    except errors.RepositoryNotFoundError:
        raise ArtifactError(f"{reference}: no model repository {repo_id} on the Hub (a private one needs "
                            "`hf auth login` or HF_TOKEN)") from None
    except errors.LocalEntryNotFoundError:
        at = f"revision '{revision}' of " if revision else ""
        raise ArtifactError(f"{reference}: {at}{repo_id} is not in the Hugging Face cache "
                            f"({constants.HF_HUB_CACHE}) and the Hub cannot be reached (HF_HUB_OFFLINE="
                            f"{'1' if constants.HF_HUB_OFFLINE else '0'}); download it once online") from None
    except (errors.HfHubHTTPError, OSError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ArtifactError(f"{reference}: download failed ({first})") from None


def push(folder: Path, repo_id: str, private: bool = False, message: Optional[str] = None) -> str:
    """Upload an exported folder to Hub repository ``repo_id`` (created if missing); return its URL."""
    hub = require_hub()
    from huggingface_hub import errors

    check_repo_id(repo_id, repo_id)
    api = hub.HfApi(library_name="rnn-zoo")
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message or "Upload from zoo push")
    except errors.OfflineModeIsEnabled:
        raise ZooError(f"zoo push {repo_id}: HF_HUB_OFFLINE is set; unset it to upload") from None
    except (errors.HfHubHTTPError, OSError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ZooError(f"zoo push {repo_id}: upload failed ({first}); `hf auth login` or HF_TOKEN gives a token "
                       "with write access") from None
    return str(url)
