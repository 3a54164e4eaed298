package org.sigillum.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The hot folders of a running server's home as a test drives them: roots added live, batches awaited. */
record HotFolders(Path home, Path tmp) {

    Path in(String root) {
        return home.resolve("hotfolder/in/" + root);
    }

    Path out(String root) {
        return home.resolve("hotfolder/out/" + root);
    }

    Path error(String root) {
        return home.resolve("hotfolder/error/" + root);
    }

    /** Adds a root live, with quick polling, and waits until it watches its folder. */
    void root(String name, String... settings) throws Exception {
        StringBuilder cfg = new StringBuilder("name = " + name + "\nprofile = cades\nsettleMillis = 300\npollMillis = 100\n");
        for (String s : settings) {
            cfg.append(s).append('\n');
        }
        Path tmpCfg = tmp.resolve(name + ".cfg");
        Files.writeString(tmpCfg, cfg);
        Files.move(tmpCfg, home.resolve("etc/org.sigillum.hotfolder-" + name + ".cfg"));
        Server.await("root " + name + " to watch its folder", 20_000, () -> Files.exists(in(name).resolve(".sigillum.lock")));
    }

    Path awaitReady(String root, String batch, long ms) throws Exception {
        Path ready = out(root).resolve(batch).resolve("READY");
        Server.await(ready.toString(), ms, () -> Files.exists(ready));
        return ready;
    }
}
