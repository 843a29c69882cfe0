"""One error hierarchy. Messages say what failed, where (file or URL), and what to do."""


class MoaError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(MoaError):
    """A setting is missing or invalid."""


class FetchError(MoaError):
    """An HTTP request failed or returned something unusable."""

    def __init__(self, url: str, reason: str, *, status: int | None = None,
                 content_type: str | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        self.content_type = content_type   # what the server said it sent, when it answered
        super().__init__(f"{url}: {reason}")


class HostNotAllowed(FetchError):
    """A URL (or a redirect) points at a host that is not on the allow-list."""


class DocumentError(MoaError):
    """A document could not be read. Fails that document, never the batch."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")

    def __reduce__(self):          # so that it crosses a process pool intact
        return (type(self), (self.name, self.reason))


class EncryptedPdfError(DocumentError):
    """Encrypted with a password we do not have."""


class ToolMissing(MoaError):
    """An outside program the run needs (tesseract) is missing or broken: the run stops."""


class NotFound(MoaError):
    """A document, agency or agreement asked for by the user does not exist."""


class AmbiguousReference(MoaError):
    """A reference (e.g. a sha256 prefix) matches more than one document."""


class QueryError(MoaError):
    """A search query that cannot be parsed or is over the length limit."""


class QueryTooSlow(QueryError):
    """A search query that ran past the time a search may take."""


class IndexBusy(MoaError):
    """Another process is writing the search index."""


class IndexNotBuilt(MoaError):
    """The search index is missing or unreadable where it may not be rebuilt (the web)."""
