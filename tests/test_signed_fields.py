"""Signed signature fields (archive.read.pdf.signed_value): who signed an agreement and
when, as its PDF's signature dictionary and the signer's certificate say, read into the
document's form fields and from them into its signing facts.

The signatures here are real PKCS #7 signatures made with ``cryptography`` (a signer
certificate issued by a certification authority's, both carried in the signature, as a
PIV card's are), in a PDF's signature field made with pypdf; the corpus's two signed
agreements are checked on the real files in tests/test_facts.py (the golden signature
pages)."""
from __future__ import annotations

import datetime as dt
import io

import pypdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from pypdf.generic import (ArrayObject, ByteStringObject, DictionaryObject, FloatObject, NameObject,
                           NumberObject, TextStringObject)

from archive.read.pdf import SIGNED_BY, open_pdf


def _name(*units: str, cn: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "U.S. Government")]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, u) for u in units]
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _signature(signer: str, units: tuple[str, ...]) -> bytes:
    """A detached PKCS #7 signature by *signer* (certificate subject OUs *units*), its
    issuing authority's certificate carried with it, padded with zeros as a PDF reserves."""
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def cert(subject, issuer, public, signing, ca):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + dt.timedelta(days=900))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .sign(signing, hashes.SHA256()))
    ca_name = _name("Certification Authorities", "Department of Homeland Security", "DHS CA4")
    ca = cert(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    person = cert(_name(*units, "People", cn=signer), ca_name, key.public_key(), ca_key, False)
    der = (pkcs7.PKCS7SignatureBuilder().set_data(b"the signed byte ranges")
           .add_signer(person, key, hashes.SHA256()).add_certificate(ca)
           .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature]))
    return der + b"\0" * 2000


def _signed_pdf(tmp_path, signature: dict | None) -> str:
    """A one-page PDF with a signature field "Signature2" whose value is *signature* (a
    signature dictionary's entries; None: the field unsigned)."""
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(612, 792)
    field = DictionaryObject({NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject("Signature2"),
                              NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
                              NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (373, 279, 545, 337)]),
                              NameObject("/P"): page.indirect_reference})
    if signature is not None:
        sig = DictionaryObject({NameObject("/Type"): NameObject("/Sig"), NameObject("/Filter"): NameObject("/Adobe.PPKLite"),
                                NameObject("/SubFilter"): NameObject("/adbe.pkcs7.detached"),
                                NameObject("/ByteRange"): ArrayObject([NumberObject(0)] * 4)})
        for key, value in signature.items():
            sig[NameObject(key)] = ByteStringObject(value) if isinstance(value, bytes) else TextStringObject(value)
        field[NameObject("/V")] = writer._add_object(sig)
    ref = writer._add_object(field)
    page[NameObject("/Annots")] = ArrayObject([ref])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([ref]),
                                                                     NameObject("/SigFlags"): NumberObject(3)})
    path = tmp_path / "signed.pdf"
    with open(path, "wb") as f:
        writer.write(f)
    return str(path)


def _fields(path) -> list[tuple[str, str, int | None]]:
    with open_pdf(path) as pdf:
        return [(f.name, f.value, f.page) for f in pdf.form_fields]


def test_a_signed_field_reads_as_its_appearance_with_the_signers_organisation(tmp_path):
    contents = _signature("CALEB VITELLO", ("Department of Homeland Security", "ICE"))
    path = _signed_pdf(tmp_path, {"/Name": "CALEB VITELLO", "/M": "D:20250214082340-05'00'", "/Contents": contents})
    assert _fields(path) == [("Signature2", f"{SIGNED_BY} CALEB VITELLO (ICE, Department of Homeland Security, "
                                            "U.S. Government) Date: 2025.02.14 08:23:40 -05'00'", 1)]
    # no /Name: the certificate's common name; a time without a zone
    path = _signed_pdf(tmp_path, {"/M": "D:20200609143827", "/Contents": contents})
    assert _fields(path)[0][1].startswith(f"{SIGNED_BY} CALEB VITELLO (ICE,") and \
        _fields(path)[0][1].endswith("Date: 2020.06.09 14:38:27")


def test_a_signature_that_says_too_little_or_cannot_be_read(tmp_path):
    """A certificate that cannot be read leaves the organisation out; a field unsigned, or
    naming neither who nor when, gives nothing; none of it fails the document."""
    path = _signed_pdf(tmp_path, {"/Name": "JANE DOE", "/M": "D:20250301", "/Contents": b"0\x82\x01\x00garbage"})
    assert _fields(path) == [("Signature2", f"{SIGNED_BY} JANE DOE Date: 2025.03.01", 1)]
    assert _fields(_signed_pdf(tmp_path, None)) == []
    assert _fields(_signed_pdf(tmp_path, {"/Name": "JANE DOE", "/Contents": b""})) == []
    assert _fields(_signed_pdf(tmp_path, {"/M": "D:20250301", "/Contents": b"\0" * 64})) == []


def test_a_signed_field_gives_its_signers_party_date_and_name(tmp_path):
    """The signing facts of a signature page whose only date and name are in a signed
    field: the party its certificate's organisation names (ICE's: Homeland Security; an
    agency's: its office), the date from /M within the agreement's dates, the name as
    the certificate spells it; a certificate naming no party gives nothing."""
    from archive.structure.facts import signatures
    from archive.structure.segmenter import Line, Section, Segmentation

    def facts(units, when="D:20250214082340-05'00'"):
        contents = _signature("JANE Q PUBLIC", units)
        fields = _fields(_signed_pdf(tmp_path, {"/Name": "JANE Q PUBLIC", "/M": when, "/Contents": contents}))
        lines = [Line(1, t) for t in ("to the fullest extent allowed by law.", "For the LEA: For ICE:",
                                      "Date: Date:", "Signature: Signature:")]
        seg = Segmentation("tfm-2025", True, [], [Section(0, "termination", "VIII", "T", 1, 1, None, "",
                                                          slice(0, len(lines)))], lines)
        return {f.name: (f.value, f.page) for f in signatures(seg, fields)}
    assert facts(("Department of Homeland Security", "ICE")) == {"signed_ice": ("2025-02-14", 1),
                                                                 "ice_signatory": ("Jane Q Public", 1)}
    assert facts(("Clay County Sheriff's Office",)) == {"signed_agency": ("2025-02-14", 1),
                                                        "agency_signatory": ("Jane Q Public", 1)}
    assert facts(("Contractors",)) == {}
    assert facts(("Department of Homeland Security", "ICE"), "D:20140214") == {"ice_signatory": ("Jane Q Public", 1)}
