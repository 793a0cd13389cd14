"""Capture: a URL becomes an exchange recorded as it went over the wire, and input
bytes (saved or fetched) become a :class:`~archiver.document.Document`.

:mod:`.client` holds the fetchers, the only I/O; :mod:`.plan` decides every step of a
fetch, :mod:`.receiver` takes in a response (with :mod:`.decoders` undoing its
Content-Encoding) and :mod:`.retry` decides on another attempt; :mod:`.config` and
:mod:`.exchange` hold the data that goes in and comes out. :mod:`.saved` loads inputs.
"""

# Names load on first use (PEP 562), from the imports of __init__.pyi: loading a saved
# page (an extraction worker) then imports no HTTP client.
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
