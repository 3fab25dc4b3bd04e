package io.dbbudget.pool;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.util.ClockSource;
import com.zaxxer.hikari.util.ConcurrentBag;
import com.zaxxer.hikari.util.ConcurrentBag.IConcurrentBagEntry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Makes Hikari validate a pool's idle connections before it hands them out again. Hikari
 * skips its own alive check for a connection used within the last 500 ms
 * ({@code aliveBypassWindowMs}), so a connection the server ended while it sat idle reaches
 * the next caller. Dating each idle connection's last use back past that window puts it
 * through Hikari's check on its next borrow: a live one is handed out as it is, a dead one is
 * closed and the caller gets another. Nothing is evicted blindly, and nothing here does I/O
 * or takes a lock, so it can run on the thread whose connection just failed.
 * <p>
 * It reaches two private fields of Hikari's pool, one of its pool entries' and three of its
 * methods (checked against HikariCP 7.0.2), each with its type resolved up front. It
 * runs inside Hikari's {@code SQLExceptionOverride.adjudicate()}, where anything thrown
 * would replace the application's own SQLException and leave the broken connection in the
 * pool: on a version of another shape it does nothing, and on the first failure it
 * switches itself off; either way it says so once.
 *
 * @author db-budget team
 */
final class IdleRevalidation {

	private static final Log logger = LogFactory.getLog(IdleRevalidation.class);

	private static final String CONSEQUENCE = "a connection the server ended while idle may reach a caller within "
			+ "Hikari's alive-bypass window";

	private static final IdleRevalidation hikari = new IdleRevalidation(HikariPool.class,
			HikariReflection.POOL_ENTRY);

	private final Class<?> poolType;

	// Cleared on the first failure, by the one caller that then logs it
	private final AtomicReference<@Nullable Internals> internals;

	/**
	 * Reaches into pools of the given type.
	 * @param poolType the pool's class, holding {@code connectionBag} and
	 * {@code aliveBypassWindowMs}
	 * @param entryTypeName the class of the bag's entries, holding {@code lastAccessed}
	 */
	IdleRevalidation(Class<?> poolType, String entryTypeName) {
		this.poolType = poolType;
		this.internals = new AtomicReference<>(Internals.find(poolType, entryTypeName));
	}

	/**
	 * Revalidation of the pools of the HikariCP version on the class path.
	 * @return the revalidation
	 */
	static IdleRevalidation hikari() {
		return hikari;
	}

	/**
	 * Whether idle connections can be revalidated: this Hikari version has the shape
	 * expected, and revalidating has not failed.
	 * @return {@code true} if they can
	 */
	boolean isSupported() {
		return this.internals.get() != null;
	}

	/**
	 * Puts every idle connection of a pool through Hikari's alive check on its next borrow.
	 * Never throws.
	 * @param dataSource the pool
	 * @return how many idle connections will be checked
	 */
	int revalidate(HikariDataSource dataSource) {
		return revalidate(dataSource.getHikariPoolMXBean());
	}

	/**
	 * Puts every idle connection of a pool through Hikari's alive check on its next borrow.
	 * Never throws.
	 * @param pool the pool, or {@code null} if it has not started
	 * @return how many idle connections will be checked
	 */
	int revalidate(@Nullable Object pool) {
		Internals internals = this.internals.get();
		if (internals == null || !this.poolType.isInstance(pool)) {
			return 0;
		}
		try {
			return internals.markIdle(pool);
		}
		// Not Error at large: what went wrong here is the shape of Hikari's internals, as a
		// reflective or linkage failure says; an OutOfMemoryError is the JVM's and must surface
		catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
			if (this.internals.compareAndSet(internals, null)) {
				logger.warn("db-budget: revalidating idle connections failed on this HikariCP version (" + ex
						+ "); it is off from now on: " + CONSEQUENCE);
			}
			return 0;
		}
	}

	private record Internals(Field connectionBag, Method values, Field aliveBypassWindowMs, Field lastAccessed,
			Method currentTime, Method plusMillis) {

		static @Nullable Internals find(Class<?> poolType, String entryTypeName) {
			try {
				Field bag = HikariReflection.field(poolType, "connectionBag", ConcurrentBag.class);
				Method values = HikariReflection.method(bag.getType(), "values", List.class, int.class);
				Field window = HikariReflection.field(poolType, "aliveBypassWindowMs", long.class);
				Class<?> entry = HikariReflection.entryType(poolType, entryTypeName);
				Field lastAccessed = HikariReflection.field(entry, "lastAccessed", long.class);
				Method currentTime = HikariReflection.method(ClockSource.class, "currentTime", long.class);
				Method plusMillis = HikariReflection.method(ClockSource.class, "plusMillis", long.class, long.class,
						long.class);
				return new Internals(bag, values, window, lastAccessed, currentTime, plusMillis);
			}
			catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
				logger.warn("db-budget: this HikariCP version hides what db-budget needs to revalidate idle "
						+ "connections after the server ends sessions (" + ex + "); " + CONSEQUENCE);
				return null;
			}
		}

		int markIdle(Object pool) throws ReflectiveOperationException {
			Object bag = this.connectionBag.get(pool);
			long window = this.aliveBypassWindowMs.getLong(pool);
			// Just past the window, so that the housekeeper's idle timeout still counts from
			// about now
			long now = (long) this.currentTime.invoke(null);
			long longAgo = (long) this.plusMillis.invoke(null, now, -(window + 1));
			List<?> idle = (List<?>) this.values.invoke(bag, IConcurrentBagEntry.STATE_NOT_IN_USE);
			for (Object entry : idle) {
				this.lastAccessed.setLong(entry, longAgo);
			}
			return idle.size();
		}

	}

}
