"""Reading raw RFC 5322 mail as Chinese and English customers send it.

Python's ``email`` package is used only to split the message into parts and
headers; every byte-to-text step is ours, because the library's decoders lose
text that Chinese mail depends on: ``gb2312`` labels on GBK bytes (堃 喆 镕)
decode silently wrong, and labels such as ``x-gbk`` or ``GB_2312-80`` raise.
The rules (see ``docs``: NOTES, e-mail):

* every GB label is read as GB18030 (a superset of GB2312 and GBK), Big5 as
  Big5-HKSCS;
* bytes that are valid UTF-8 are UTF-8 whatever the label says; otherwise the
  declared charset, then GB18030, then detection, then Latin-1, which never
  fails — text is never dropped;
* a decoded header value never carries CR, LF, NUL or other control
  characters, so it can be reused in an outgoing header or a file name;
* what cannot be decoded is kept as it came (a broken encoded word, a broken
  base64 part) rather than dropped.

Nothing here touches the database: ``parse_message`` turns bytes into a
``ParsedMail`` or raises ``UnreadableMessage``.
"""

from __future__ import annotations

import codecs
import email
import email.message
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import charset_normalizer
import nh3

from aftersales.tickets.services import IncomingFile

_GB_LABELS = {
    "gb2312",
    "gbk",
    "gb18030",
    "euc-cn",
    "euccn",
    "cp936",
    "ms936",
    "windows-936",
    "x-gbk",
    "x-gb2312",
    "x-euc-cn",
    "gb_2312-80",
    "gb_2312",
    "gb-2312",
    "gb2312-80",
    "csgb2312",
    "chinese",
    "iso-ir-58",
    "hz-gb-2312",
}
_BIG5_LABELS = {
    "big5",
    "big-5",
    "x-big5",
    "cn-big5",
    "csbig5",
    "big5-hkscs",
    "big5hkscs",
    "cp950",
    "x-x-big5",
}
_SINGLE_BYTE = {"latin-1", "iso8859-1", "ascii", "cp1252", "iso8859-15"}
_UNSAFE_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]+")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Enough text was found if most non-ASCII characters are CJK ideographs or CJK punctuation.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


class UnreadableMessage(Exception):
    """The bytes are not an e-mail message we can read; the raw message is quarantined."""


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None for a label nobody knows."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_LABELS or name.replace("_", "-") in _GB_LABELS:
        return "gb18030"
    if name in _BIG5_LABELS:
        return "big5hkscs"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _mostly_cjk(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    return bool(non_ascii) and sum(1 for ch in non_ascii if _CJK.match(ch)) >= 0.6 * len(non_ascii)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes in whatever charset they really are in; never raises, never drops text."""
    if not data:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = codec_for(declared)
    if codec in _SINGLE_BYTE or codec is None:
        # A western or missing label on Chinese bytes is a common mistake of old mail clients.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and _mostly_cjk(text):
            return text
    for candidate in (codec, "gb18030"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("latin-1")


def clean_header_text(text: str) -> str:
    """One line of text: no CR, LF, NUL or other control character; runs of spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", _UNSAFE_CONTROLS.sub(" ", text)).strip()


def decode_header_value(value: object) -> str:
    """A header as text: encoded words in any charset, raw 8-bit bytes, broken encodings."""
    if value is None:
        return ""
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as it came
        chunks = [(str(value), None)]
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(_decode_surrogates(chunk))
        else:
            parts.append(decode_bytes(chunk, None if charset == "unknown-8bit" else charset))
    return clean_header_text("".join(parts))


def _decode_surrogates(text: str) -> str:
    """8-bit header bytes arrive as surrogate escapes; read them in their real charset."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return decode_bytes(text.encode("utf-8", "surrogateescape"))
    return text


def message_ids(value: str) -> list[str]:
    """The ``<id>`` tokens of In-Reply-To / References, in order."""
    return _MESSAGE_ID.findall(value or "")


def received_at_from(message: email.message.Message) -> datetime | None:
    """When our mail server received the message: the date of the topmost Received header."""
    received = message.get_all("Received") or []
    if not received:
        return None
    stamp = str(received[0]).rsplit(";", 1)
    if len(stamp) != 2:
        return None
    try:
        moment = parsedate_to_datetime(clean_header_text(stamp[1]))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


# --- HTML --------------------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The plain-text version of an HTML-only mail: what goes on the ticket's timeline."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitise_html(html: str) -> str:
    """Safe to show to staff: no scripts, no event handlers, no ``javascript:`` links."""
    return nh3.clean(html)


# --- the message -------------------------------------------------------------------------------------


@dataclass
class ParsedMail:
    """What the intake needs from one message, decoded and cleaned."""

    message_id: str = ""
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    recipients: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    return_path: str | None = None
    received_at: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    text: str = ""
    html: str = ""
    attachments: list[IncomingFile] = field(default_factory=list)
    embedded_message_ids: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, nearest first: In-Reply-To, then References newest first."""
        seen: dict[str, None] = {}
        for token in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(token, None)
        return list(seen)


_LOOP_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "x-autogenerated",
)


def parse_message(raw: bytes) -> ParsedMail:
    """Decode a raw message; ``UnreadableMessage`` when it is not mail at all."""
    if not raw or not raw.strip():
        raise UnreadableMessage("empty message")
    message = email.message_from_bytes(raw)
    if not message.keys():
        raise UnreadableMessage("no header lines: not an e-mail message")
    if not any(message.get(name) for name in ("From", "Sender", "Return-Path", "Message-ID")):
        raise UnreadableMessage("no From, Sender, Return-Path or Message-ID header: not an e-mail message")
    from_name, from_address = parseaddr(decode_header_value(message.get("From") or message.get("Sender")))
    mail = ParsedMail(
        message_id=next(iter(message_ids(decode_header_value(message.get("Message-ID")))), ""),
        subject=decode_header_value(message.get("Subject")),
        from_name=clean_header_text(from_name),
        from_address=clean_header_text(from_address).lower(),
        recipients=[
            address.lower()
            for _, address in getaddresses(
                [
                    decode_header_value(v)
                    for v in (message.get_all("To") or []) + (message.get_all("Cc") or [])
                ]
            )
            if address
        ],
        in_reply_to=message_ids(decode_header_value(message.get("In-Reply-To"))),
        references=message_ids(" ".join(decode_header_value(v) for v in message.get_all("References") or [])),
        return_path=decode_header_value(message.get("Return-Path")) if "Return-Path" in message else None,
        received_at=received_at_from(message),
        headers={
            name: decode_header_value(message.get(name)).lower() for name in _LOOP_HEADERS if name in message
        },
        content_type=message.get_content_type(),
    )
    texts: list[str] = []
    htmls: list[str] = []
    _walk(message, mail, texts, htmls)
    html = "\n".join(htmls)
    mail.html = sanitise_html(html) if html else ""
    mail.text = "\n\n".join(t for t in texts if t.strip()).strip() or (html_to_text(html) if html else "")
    return mail


def _payload(part: email.message.Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep the undecoded text
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _filename(part: email.message.Message) -> str:
    """The file name a part declares (RFC 2231, encoded words, raw 8-bit), for display only."""
    for header, name in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(name, header=header)
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded latin-1 text)
            charset, _language, text = value
            return clean_header_text(decode_bytes(text.encode("latin-1", "replace"), charset))
        return decode_header_value(email.utils.collapse_rfc2231_value(value))
    return ""


def _is_attachment(part: email.message.Message, filename: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "html"):
        return False
    # Inline images, TNEF winmail.dat, documents: every non-text part is a file to keep.
    return bool(filename) or part.get_content_maintype() != "text" or disposition == "inline"


def _walk(part: email.message.Message, mail: ParsedMail, texts: list[str], htmls: list[str]) -> None:
    content_type = part.get_content_type()
    if content_type in ("message/rfc822", "message/global"):
        _forwarded(part, mail, texts)
        return
    if content_type == "message/delivery-status":
        return  # machine-readable status lines: kept in the raw message only
    if content_type == "text/rfc822-headers":
        mail.embedded_message_ids += message_ids(_header_line(_payload(part), "message-id"))
        return
    if part.is_multipart():
        children = part.get_payload()
        if content_type == "multipart/alternative":
            children = _preferred_alternative(children)
        for child in children:
            _walk(child, mail, texts, htmls)
        return
    filename = _filename(part)
    if _is_attachment(part, filename):
        data = _payload(part)
        mail.attachments.append(
            IncomingFile(
                name=filename or _default_name(part, len(mail.attachments) + 1),
                content_type=content_type,
                content=data,
                size=len(data),
            )
        )
        return
    text = decode_bytes(_payload(part), part.get_content_charset())
    if content_type == "text/html":
        htmls.append(text)
    else:
        texts.append(text)


def _preferred_alternative(children: list) -> list:
    """Of alternatives keep the plain text when there is one (the HTML twin adds nothing)."""
    plain = [c for c in children if c.get_content_type() == "text/plain"]
    if plain:
        return [*plain, *[c for c in children if c.get_content_maintype() not in ("text",)]]
    return children


def _default_name(part: email.message.Message, number: int) -> str:
    if part.get_content_type() == "application/ms-tnef":
        return "winmail.dat"
    extension = {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "message/rfc822": ".eml",
        "text/plain": ".txt",
        "text/html": ".html",
    }.get(part.get_content_type(), ".bin")
    return f"attachment-{number}{extension}"


def _header_line(data: bytes, name: str) -> str:
    for line in data.decode("latin-1").splitlines():
        if line.lower().startswith(name + ":"):
            return line.split(":", 1)[1]
    return ""


def _forwarded(part: email.message.Message, mail: ParsedMail, texts: list[str]) -> None:
    """A forwarded (or bounced) message: its text joins the body, the whole of it is kept as .eml."""
    inner = part.get_payload(0) if part.is_multipart() else None
    if inner is None:
        data = _payload(part)
        inner = email.message_from_bytes(data)
    else:
        data = inner.as_bytes()
    inner_id = message_ids(decode_header_value(inner.get("Message-ID")))
    mail.embedded_message_ids += inner_id
    subject = decode_header_value(inner.get("Subject"))
    inner_texts: list[str] = []
    inner_htmls: list[str] = []
    # The forwarded message's own files stay inside the kept .eml.
    _walk(inner, ParsedMail(), inner_texts, inner_htmls)
    body = "\n\n".join(t for t in inner_texts if t.strip()) or html_to_text("\n".join(inner_htmls))
    header = "\n".join(
        filter(
            None,
            (
                "---------- Forwarded message ----------",
                f"From: {decode_header_value(inner.get('From'))}" if inner.get("From") else "",
                f"Date: {decode_header_value(inner.get('Date'))}" if inner.get("Date") else "",
                f"Subject: {subject}" if subject else "",
            ),
        )
    )
    texts.append(f"{header}\n\n{body.strip()}")
    name = re.sub(r"[^\w\-. \u3400-\u9fff]", "_", subject)[:80].strip() or "forwarded"
    mail.attachments.append(
        IncomingFile(name=f"{name}.eml", content_type="message/rfc822", content=data, size=len(data))
    )
