package org.sigillum.channel.hotfolder.internal;

import java.util.Map;

/** Root configurations as ConfigAdmin would give them: the given values, annotation defaults for the rest. */
final class TestConfigs {

    private TestConfigs() {
    }

    static RootConfig root(String name, String in, String out, String policy) {
        Map<String, Object> values = Map.of("name", name, "profile", "p", "in", in, "out", out, "failurePolicy", policy);
        return (RootConfig) java.lang.reflect.Proxy.newProxyInstance(RootConfig.class.getClassLoader(),
                new Class<?>[] { RootConfig.class },
                (proxy, method, args) -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue());
    }
}
