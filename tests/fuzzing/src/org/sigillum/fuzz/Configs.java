package org.sigillum.fuzz;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Properties;

/**
 * A component's typed configuration as Declarative Services makes it from a {@code .cfg} file:
 * each attribute's text converted to the attribute's type; a missing or unconvertible value gives
 * the attribute's default. For fuzzing what our code does with any configuration text.
 */
public final class Configs {

    private Configs() {
    }

    public static <A> A of(Class<A> type, Properties p) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (self, method, args) -> {
            if (method.getName().equals("annotationType")) {
                return type;
            }
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("toString") ? type.getSimpleName() : method.getName().equals("hashCode") ? 0 : false;
            }
            String text = p.getProperty(method.getName());
            return text == null ? method.getDefaultValue() : convert(method, text);
        });
        return type.cast(proxy);
    }

    private static Object convert(Method m, String text) {
        Class<?> t = m.getReturnType();
        try {
            if (t == String.class) {
                return text;
            }
            if (t == int.class) {
                return Integer.parseInt(text.trim());
            }
            if (t == long.class) {
                return Long.parseLong(text.trim());
            }
            if (t == boolean.class) {
                return Boolean.parseBoolean(text.trim());
            }
            if (t.isArray() && t.getComponentType() == String.class) {
                String[] parts = Arrays.stream(text.split(",")).map(String::trim).toArray(String[]::new);
                return parts;
            }
        } catch (NumberFormatException e) {
            return m.getDefaultValue();
        }
        Object d = m.getDefaultValue();
        return d != null ? d : t.isArray() ? Array.newInstance(t.getComponentType(), 0) : null;
    }
}
