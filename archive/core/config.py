"""Settings and their defaults. The CLI resolves each from its option, else its
environment variable (named here), else the default below."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_DATA_DIR = "./moa-data"                                  # MOA_DATA_DIR
DEFAULT_SOURCE_URL = "https://www.ice.gov/identify-and-arrest/287g"  # MOA_SOURCE_URL
DEFAULT_ALLOW_HOSTS = ("www.ice.gov", "ice.gov")                 # MOA_ALLOW_HOSTS (comma-separated, added to)
DEFAULT_DELAY = 1.0                                              # MOA_DELAY seconds between requests to one host
DEFAULT_TIMEOUT = 60.0                                           # MOA_TIMEOUT seconds per request
DEFAULT_RETRIES = 3                                              # MOA_RETRIES on 5xx / timeouts / resets
DEFAULT_MAX_BYTES = 100 * 1024 * 1024                            # MOA_MAX_BYTES per response
# ICE's bot protection answers some scripted clients 403; a browser-like agent helps.
DEFAULT_USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/126.0 Safari/537.36 moa-archive/0.1")  # MOA_USER_AGENT
# Wayback recovery of linked PDFs that answer 404/410 (archive/harvest/wayback.py), opt-in.
DEFAULT_WAYBACK_URL = "https://web.archive.org"                  # MOA_WAYBACK_URL (its host is allowed only when on)
DEFAULT_WAYBACK_DELAY = 2.5                                      # MOA_WAYBACK_DELAY s between requests to it (≤ 24/min)


@dataclass
class HarvestSettings:
    source_url: str = DEFAULT_SOURCE_URL
    allow_hosts: tuple[str, ...] = DEFAULT_ALLOW_HOSTS
    delay: float = DEFAULT_DELAY
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_bytes: int = DEFAULT_MAX_BYTES
    user_agent: str = DEFAULT_USER_AGENT
    # Extra hosts added by --allow-host / MOA_ALLOW_HOSTS are merged in __post_init__.
    extra_hosts: tuple[str, ...] = field(default=())
    wayback: bool = False                                        # --wayback / MOA_WAYBACK=1
    wayback_url: str = DEFAULT_WAYBACK_URL
    wayback_delay: float = DEFAULT_WAYBACK_DELAY

    def __post_init__(self) -> None:
        wayback_host = (urlsplit(self.wayback_url).hostname or "",) if self.wayback else ()
        hosts = [h.strip().lower() for h in (*self.allow_hosts, *self.extra_hosts, *wayback_host)
                 if h and h.strip()]
        self.allow_hosts = tuple(dict.fromkeys(hosts))
        self.extra_hosts = ()
