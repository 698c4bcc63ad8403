"""Where the lake's files live: a local folder, or a prefix in an object store (s3://, gs://, ...) via pyarrow.fs.

A local lake is a `pathlib.Path`. A remote one is a `RemotePath`, used like a Path (join with `/`, `is_file`,
`iterdir`, `read_text`, ...). Everything the lake does to its files goes through the few functions here, which
give both the same promise: a reader sees the old or the new file, never part of one.

- Local: write a temporary file beside the lake, fsync it, `os.replace` it over the target, fsync the folder.
- Object store: the whole file is written to local scratch first, then uploaded to its final key in one go (one
  PUT, or a multipart upload that S3 publishes only when it completes). There is no rename on an object store;
  uploading a finished file means a failed write never publishes half of one.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from causa.storage.errors import StorageError
from causa.table_files import publish_file
from causa.table_files import write_bytes_atomically as write_local_bytes_atomically

logger = logging.getLogger(__name__)

OPTION_SCHEMES = {"s3": pafs.S3FileSystem, "gs": pafs.GcsFileSystem, "gcs": pafs.GcsFileSystem}
"""Schemes whose filesystem takes `storage_options` as keyword arguments (pyarrow's own classes)."""


class LakeLocationError(StorageError, ValueError):
    """A lake location (URL or storage options) that cannot be opened; the message names it."""


def is_remote(location: str | os.PathLike[str]) -> bool:
    """Whether a configured location is a filesystem URL (scheme://...) rather than a local path."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


class RemotePath:
    """A file or folder in an object store (or another pyarrow/fsspec filesystem), used like a pathlib.Path.

    `uri` is `scheme://bucket/key...`; `options` are the filesystem's keyword arguments (endpoint, region,
    credentials). Children made with `/` share one filesystem client. A folder exists while an object lies under
    it: `mkdir` does nothing and no empty folders are created.
    """

    def __init__(self, uri: str, options: Mapping[str, Any] | None = None, _client: list | None = None) -> None:
        scheme, separator, rest = str(uri).partition("://")
        if not separator or not scheme or not rest.strip("/"):
            raise LakeLocationError(f"not a filesystem URL (scheme://bucket/prefix): {uri!r}")
        if "?" in rest or "#" in rest:
            raise LakeLocationError(f"lake URL {uri!r} has a query: give endpoint, region etc. in [lake.storage_options]")
        self.scheme = scheme.lower()
        self.key = rest.strip("/")
        self.options = dict(options or {})
        self._client = _client if _client is not None else []

    @property
    def uri(self) -> str:
        return f"{self.scheme}://{self.key}"

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"RemotePath({self.uri!r})"  # options may hold credentials: never shown

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __reduce__(self) -> tuple:
        """Pickled (e.g. for worker processes) without its filesystem client: the receiver opens its own."""
        return (RemotePath, (self.uri, self.options))

    def __truediv__(self, part: str | os.PathLike[str]) -> RemotePath:
        part = str(part).strip("/")
        if not part:
            return self
        return RemotePath(f"{self.uri}/{part}", self.options, self._client)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> RemotePath:
        head, _, _ = self.key.rpartition("/")
        return RemotePath(f"{self.scheme}://{head}", self.options, self._client) if head else self

    @property
    def filesystem(self) -> pafs.FileSystem:
        """The filesystem client (opened on first use, shared with every path joined from this one)."""
        return self._opened()[0]

    @property
    def fs_path(self) -> str:
        """This path as the filesystem client names it (`bucket/key` for S3 and GCS)."""
        _, root_path, root_uri = self._opened()
        if self.uri == root_uri:
            return root_path
        if self.uri.startswith(root_uri + "/"):
            return root_path.rstrip("/") + self.uri[len(root_uri) :]
        return self.key

    def _opened(self) -> tuple[pafs.FileSystem, str, str]:
        if not self._client:
            self._client.append(open_filesystem(self.scheme, self.uri, self.options))
            _OPEN_CLIENTS.append(self._client)
        return self._client[0]

    def _info(self) -> pafs.FileInfo:
        return self.filesystem.get_file_info(self.fs_path)

    def exists(self) -> bool:
        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        return self._info().type == pafs.FileType.Directory

    def iterdir(self) -> Iterator[RemotePath]:
        """The files and folders directly under this folder (none when it does not exist)."""
        selector = pafs.FileSelector(self.fs_path, allow_not_found=True, recursive=False)
        for info in self.filesystem.get_file_info(selector):
            yield self / info.base_name

    def files(self) -> list[RemotePath]:
        """Every file under this folder, at any depth, from one recursive listing."""
        selector = pafs.FileSelector(self.fs_path, allow_not_found=True, recursive=True)
        base = self.fs_path.rstrip("/") + "/"
        return [
            self / info.path[len(base) :]
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File and info.path.startswith(base)
        ]

    def read_bytes(self) -> bytes:
        with self.filesystem.open_input_stream(self.fs_path) as stream:
            return stream.read()

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self.read_bytes().decode(encoding, errors)

    def write_bytes(self, data: bytes) -> int:
        """Publishes the whole object at once (one PUT): readers see the old or the new content."""
        stream = self.filesystem.open_output_stream(self.fs_path)
        stream.write(data)
        stream.close()
        return len(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        return self.write_bytes(text.encode(encoding))

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.filesystem.delete_file(self.fs_path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rmdir(self) -> None:
        """Removes a folder's marker object, if the store keeps one (the folder must be empty)."""
        if any(True for _ in self.iterdir()):
            raise OSError(f"folder not empty: {self.uri}")
        try:
            self.filesystem.delete_dir(self.fs_path)
        except FileNotFoundError:
            pass

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to do: object stores have no folders of their own."""


LakePath = Path | RemotePath

_OPEN_CLIENTS: list[list] = []
"""Every filesystem client a RemotePath opened, so they can be closed before pyarrow shuts its S3 library down."""


@atexit.register
def close_clients() -> None:
    """At exit, after an object store was used: drop its clients, then keep the final collection off what is left.

    atexit runs this before pyarrow's own handler (registered earlier), which shuts the AWS SDK down. An S3 client,
    or another native object holding SDK state, destroyed by the interpreter's last garbage collection after that
    shutdown crashes the process (seen with Dask's objects alive: exit 139 after a successful run). So the clients
    go first, and `gc.freeze` leaves the rest to the operating system.
    """
    if not _OPEN_CLIENTS:
        return
    for client in _OPEN_CLIENTS:
        client.clear()
    _OPEN_CLIENTS.clear()
    gc.collect()
    gc.freeze()


def open_filesystem(scheme: str, uri: str, options: Mapping[str, Any]) -> tuple[pafs.FileSystem, str, str]:
    """(filesystem, its path for `uri`, `uri`): pyarrow's own filesystems first, else an fsspec one."""
    if options and scheme in OPTION_SCHEMES:
        try:
            filesystem = OPTION_SCHEMES[scheme](**options)
        except (TypeError, ValueError) as error:
            raise LakeLocationError(f"lake.storage_options {sorted(options)} for {uri}: {error}") from error
        return filesystem, uri.partition("://")[2].strip("/"), uri
    try:
        if not options:
            filesystem, path = pafs.FileSystem.from_uri(uri)
            return filesystem, path, uri
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        pass
    try:
        import fsspec
    except ImportError as error:  # pragma: no cover - fsspec ships with Prefect
        raise LakeLocationError(f"no filesystem for {uri}: pyarrow does not know {scheme}:// and fsspec is missing") from error
    try:
        filesystem, path = fsspec.core.url_to_fs(uri, **options)
    except (ImportError, ValueError, TypeError) as error:
        raise LakeLocationError(f"no filesystem for {uri}: {type(error).__name__}: {error}") from error
    return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), path, uri


def lake_path(location: str | os.PathLike[str] | RemotePath, options: Mapping[str, Any] | None = None) -> LakePath:
    """A configured location as a lake path: a URL becomes a RemotePath, `file://` and plain paths a Path."""
    if isinstance(location, (Path, RemotePath)):
        return location
    text = str(location)
    if is_remote(text):
        return RemotePath(text, options)
    if options:
        raise LakeLocationError(f"lake.storage_options {sorted(options)} given for the local lake {text}: "
                                "they apply to a URL such as s3://bucket/prefix only")
    return Path(text[len("file://") :] if text.startswith("file://") else text)


def default_scratch(root: RemotePath) -> Path:
    """A local folder for staged batches and files being written, one per remote lake (in the temp folder)."""
    import hashlib

    digest = hashlib.sha256(root.uri.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "causa-staging" / f"{root.scheme}-{digest}"


def read_parquet(path: LakePath, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file (only `columns` when given)."""
    if isinstance(path, RemotePath):
        return pq.read_table(path.fs_path, columns=columns, filesystem=path.filesystem)
    return pq.read_table(path, columns=columns)


def parquet_file(path: LakePath) -> pq.ParquetFile:
    """A Parquet file opened for its footer and for reading in batches (ranged reads on an object store)."""
    if isinstance(path, RemotePath):
        return pq.ParquetFile(path.filesystem.open_input_file(path.fs_path))
    return pq.ParquetFile(path)


def parquet_schema(path: LakePath) -> pa.Schema:
    if isinstance(path, RemotePath):
        return parquet_file(path).schema_arrow
    return pq.read_schema(path)


def dataset(path: LakePath, **options: Any) -> ds.Dataset:
    """A pyarrow dataset over a folder of the lake (e.g. `partitioning="hive"`)."""
    if isinstance(path, RemotePath):
        return ds.dataset(path.fs_path, filesystem=path.filesystem, **options)
    return ds.dataset(path, **options)


def publish_parquet(
    target: LakePath, schema: pa.Schema, batches: Iterable[pa.RecordBatch], scratch: Path, prefix: str
) -> None:
    """Writes the batches as one Parquet file at `target`, all or nothing.

    The file is written to a temporary file in `scratch` (a local folder) first. Local: fsync, one atomic
    rename over the target, fsync of its folder. Object store: one upload of the finished file to the final key.
    """
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=scratch, prefix=prefix, suffix=".parquet")
    os.close(handle)
    try:
        with pq.ParquetWriter(temp_name, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
        if isinstance(target, RemotePath):
            _upload(Path(temp_name), target)
        else:
            publish_file(temp_name, target)
    finally:
        Path(temp_name).unlink(missing_ok=True)


def _upload(local: Path, target: RemotePath) -> None:
    """Copies a finished local file to its key in one native call (no Python code runs between its parts)."""
    pafs.copy_files(
        str(local), target.fs_path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=target.filesystem
    )
    logger.debug("uploaded %s (%d bytes)", target, local.stat().st_size)


def write_bytes_atomically(path: LakePath, data: bytes) -> None:
    """Local: causa.table_files.write_bytes_atomically (temp file beside the target, fsync, rename). Object store:
    one PUT of the whole object."""
    if isinstance(path, RemotePath):
        path.write_bytes(data)
        return
    write_local_bytes_atomically(path, data)
