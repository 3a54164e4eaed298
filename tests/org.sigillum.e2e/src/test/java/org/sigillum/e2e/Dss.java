package org.sigillum.e2e;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import eu.europa.esig.dss.enumerations.Level;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.FileDocument;
import eu.europa.esig.dss.model.policy.ValidationPolicy;
import eu.europa.esig.dss.policy.EtsiValidationPolicy;
import eu.europa.esig.dss.policy.ValidationPolicyFacade;
import eu.europa.esig.dss.policy.jaxb.BasicSignatureConstraints;
import eu.europa.esig.dss.policy.jaxb.CertificateConstraints;
import eu.europa.esig.dss.policy.jaxb.ConstraintsParameters;
import eu.europa.esig.dss.policy.jaxb.LevelConstraint;
import eu.europa.esig.dss.simplereport.SimpleReport;
import eu.europa.esig.dss.spi.DSSUtils;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.spi.x509.CommonTrustedCertificateSource;
import eu.europa.esig.dss.validation.SignedDocumentValidator;

/**
 * EU DSS as the judge. The demo PKI publishes no CRL or OCSP, so for level B the policy's two
 * revocation constraints are lowered to warnings; everything else is DSS's default ETSI policy.
 */
final class Dss {

    record Verdict(String indication, String subIndication, String format, List<String> errors) {
    }

    static Verdict validate(Path signature, Path detachedData, Path... trustAnchorPems) throws Exception {
        SimpleReport r = report(signature, detachedData, trustAnchorPems);
        return verdict(r, r.getFirstSignatureId());
    }

    /** Every signature in a document (a PDF may hold several), in DSS's report order. */
    static List<Verdict> validateAll(Path document, Path... trustAnchorPems) throws Exception {
        SimpleReport r = report(document, null, trustAnchorPems);
        return r.getSignatureIdList().stream().map(id -> verdict(r, id)).toList();
    }

    /**
     * An RFC 4998 evidence record against the given data: the record's indication, whether the
     * first file's hash is an archive object DSS found intact, and whether the time stamp holds
     * (imprint, signature, trusted chain). DSS passes a record while any covered object is found,
     * so a test must look at the first file's own matcher, not at the indication alone.
     */
    record ErVerdict(String indication, String subIndication, boolean dataFoundAndIntact, boolean timeStampValid) {
    }

    static ErVerdict validateEvidenceRecord(Path ers, Path trustAnchorPem, Path... data) throws Exception {
        CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
        trusted.addCertificate(DSSUtils.loadCertificate(Files.readAllBytes(trustAnchorPem)));
        CommonCertificateVerifier verifier = new CommonCertificateVerifier();
        verifier.setTrustedCertSources(trusted);
        SignedDocumentValidator validator = SignedDocumentValidator.fromDocument(new FileDocument(ers.toFile()));
        validator.setCertificateVerifier(verifier);
        List<DSSDocument> docs = new java.util.ArrayList<>();
        for (Path d : data) {
            docs.add(new FileDocument(d.toFile()));
        }
        validator.setDetachedContents(docs);
        eu.europa.esig.dss.validation.reports.Reports reports = validator.validateDocument(policyWithoutRevocation());
        SimpleReport sr = reports.getSimpleReport();
        String id = sr.getFirstEvidenceRecordId();
        var er = reports.getDiagnosticData().getEvidenceRecords().get(0);
        byte[] first = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(data[0]));
        boolean found = er.getDigestMatchers().stream().anyMatch(m -> java.util.Arrays.equals(first, m.getDigestValue())
                && m.getType() == eu.europa.esig.dss.enumerations.DigestMatcherType.EVIDENCE_RECORD_ARCHIVE_OBJECT
                && m.isDataFound() && m.isDataIntact());
        var ts = er.getFirstTimestamp();
        boolean tsValid = ts != null && ts.isMessageImprintDataFound() && ts.isMessageImprintDataIntact() && ts.isSignatureIntact()
                && ts.isSignatureValid() && ts.isTrustedChain();
        return new ErVerdict(String.valueOf(sr.getIndication(id)), String.valueOf(sr.getSubIndication(id)), found, tsValid);
    }

    private static Verdict verdict(SimpleReport r, String id) {
        return new Verdict(String.valueOf(r.getIndication(id)), String.valueOf(r.getSubIndication(id)),
                String.valueOf(r.getSignatureFormat(id)),
                r.getAdESValidationErrors(id).stream().map(m -> m.getValue()).toList());
    }

    private static SimpleReport report(Path signature, Path detachedData, Path... trustAnchorPems) throws Exception {
        CommonTrustedCertificateSource trusted = new CommonTrustedCertificateSource();
        for (Path pem : trustAnchorPems) {
            trusted.addCertificate(DSSUtils.loadCertificate(Files.readAllBytes(pem)));
        }
        CommonCertificateVerifier verifier = new CommonCertificateVerifier();
        verifier.setTrustedCertSources(trusted);
        SignedDocumentValidator validator = SignedDocumentValidator.fromDocument(new FileDocument(signature.toFile()));
        validator.setCertificateVerifier(verifier);
        if (detachedData != null) {
            validator.setDetachedContents(List.<DSSDocument>of(new FileDocument(detachedData.toFile())));
        }
        return validator.validateDocument(policyWithoutRevocation()).getSimpleReport();
    }

    private static ValidationPolicy policyWithoutRevocation() throws Exception {
        ConstraintsParameters cp;
        try (InputStream is = ValidationPolicyFacade.class.getResourceAsStream("/policy/constraint.xml")) {
            cp = ValidationPolicyFacade.newFacade().unmarshall(is);
        }
        relax(cp.getSignatureConstraints().getBasicSignatureConstraints());
        relax(cp.getCounterSignatureConstraints().getBasicSignatureConstraints());
        relax(cp.getTimestamp().getBasicSignatureConstraints());
        relax(cp.getRevocation().getBasicSignatureConstraints());
        return new EtsiValidationPolicy(cp);
    }

    private static void relax(BasicSignatureConstraints bsc) {
        if (bsc == null) {
            return;
        }
        for (CertificateConstraints cc : new CertificateConstraints[] { bsc.getSigningCertificate(), bsc.getCACertificate() }) {
            if (cc != null) {
                cc.setRevocationDataAvailable(warn());
                cc.setAcceptableRevocationDataFound(warn());
            }
        }
    }

    private static LevelConstraint warn() {
        LevelConstraint lc = new LevelConstraint();
        lc.setLevel(Level.WARN);
        return lc;
    }
}
