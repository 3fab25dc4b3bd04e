package io.dbbudget.pool;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Reaches Hikari's internals where it offers no API (checked against HikariCP 7.0.2), each
 * member with its type checked as it is resolved: a version of another shape fails here, up
 * front, never where the member is used.
 *
 * @author db-budget team
 */
final class HikariReflection {

	/**
	 * The class of the entries of a pool's {@code connectionBag}.
	 */
	static final String POOL_ENTRY = "com.zaxxer.hikari.pool.PoolEntry";

	private HikariReflection() {
	}

	/**
	 * The entries' class, from the pool class's own class loader.
	 * @param poolType the pool's class
	 * @param entryTypeName the entries' class name, {@link #POOL_ENTRY} for Hikari's own
	 * @return the class
	 * @throws ClassNotFoundException if there is none of that name
	 */
	static Class<?> entryType(Class<?> poolType, String entryTypeName) throws ClassNotFoundException {
		return Class.forName(entryTypeName, false, poolType.getClassLoader());
	}

	/**
	 * A declared field, made accessible.
	 * @param owner the class that declares it
	 * @param name its name
	 * @param type the type it must be assignable to
	 * @return the field
	 * @throws NoSuchFieldException if there is no such field, or it is of another type
	 */
	static Field field(Class<?> owner, String name, Class<?> type) throws NoSuchFieldException {
		Field field = owner.getDeclaredField(name);
		if (!type.isAssignableFrom(field.getType())) {
			throw new NoSuchFieldException(owner.getName() + "." + name + " is of type " + field.getType().getName()
					+ ", not " + type.getName());
		}
		field.setAccessible(true);
		return field;
	}

	/**
	 * A public method.
	 * @param owner the class that has it
	 * @param name its name
	 * @param returnType the type its result must be assignable to
	 * @param parameterTypes its parameters' types
	 * @return the method
	 * @throws NoSuchMethodException if there is no such method, or it returns another type
	 */
	static Method method(Class<?> owner, String name, Class<?> returnType, Class<?>... parameterTypes)
			throws NoSuchMethodException {
		Method method = owner.getMethod(name, parameterTypes);
		if (!returnType.isAssignableFrom(method.getReturnType())) {
			throw new NoSuchMethodException(owner.getName() + "." + name + " returns "
					+ method.getReturnType().getName() + ", not " + returnType.getName());
		}
		return method;
	}

}
