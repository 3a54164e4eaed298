package org.sigillum.format.cades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.cms.CMSTypedData;
import org.sigillum.api.Content;

/**
 * A document's bytes streamed into Bouncy Castle's digest (when signing or checking a detached
 * signature) from wherever they are, never loaded whole for that purpose.
 */
record StreamedContent(Content content) implements CMSTypedData {
    @Override
    public ASN1ObjectIdentifier getContentType() {
        return CMSObjectIdentifiers.data;
    }

    @Override
    public void write(OutputStream out) throws IOException {
        try (InputStream in = content.openStream()) {
            in.transferTo(out);
        }
    }

    @Override
    public Object getContent() {
        return content;
    }
}
