package org.sigillum.format.pades.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum PAdES format",
        description = "PDF signatures (PAdES baseline B and T) with Apache PDFBox: how much of a document may be held in memory.")
public @interface PadesConfig {

    @AttributeDefinition(description = "Documents up to this many megabytes are read and written in memory; larger ones"
            + " through temporary files in the spool folder, so that heap use stays bounded whatever the file size.")
    int inMemoryMegabytes() default 16;

    @AttributeDefinition(description = "Folder for the temporary files of large documents, relative to the runtime home."
            + " Emptied when the format starts.")
    String spool() default "work/pades";
}
