package io.dbbudget.pool;

import java.lang.reflect.Field;
import java.util.List;

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
 * It reaches two of Hikari's package-private fields (checked against HikariCP 7.0.2); on a
 * version without them it does nothing and says so once.
 *
 * @author db-budget team
 */
final class IdleRevalidation {

	private static final Log logger = LogFactory.getLog(IdleRevalidation.class);

	private static final @Nullable Internals internals = Internals.find();

	private IdleRevalidation() {
	}

	/**
	 * Whether this Hikari version lets idle connections be revalidated.
	 * @return {@code true} if it does
	 */
	static boolean isSupported() {
		return internals != null;
	}

	/**
	 * Puts every idle connection of a pool through Hikari's alive check on its next borrow.
	 * @param dataSource the pool
	 * @return how many idle connections will be checked
	 */
	static int revalidate(HikariDataSource dataSource) {
		if (internals == null || !(dataSource.getHikariPoolMXBean() instanceof HikariPool pool)) {
			return 0;
		}
		try {
			return internals.markIdle(pool);
		}
		catch (IllegalAccessException ex) {
			return 0;
		}
	}

	private record Internals(Field connectionBag, Field aliveBypassWindowMs, Field lastAccessed) {

		static @Nullable Internals find() {
			try {
				Field bag = accessible(HikariPool.class.getDeclaredField("connectionBag"));
				Field window = accessible(HikariPool.class.getDeclaredField("aliveBypassWindowMs"));
				Class<?> entry = Class.forName("com.zaxxer.hikari.pool.PoolEntry", false,
						HikariPool.class.getClassLoader());
				return new Internals(bag, window, accessible(entry.getDeclaredField("lastAccessed")));
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				logger.warn("db-budget: this HikariCP version hides what db-budget needs to revalidate idle "
						+ "connections after the server ends sessions (" + ex + "); a connection the server ended "
						+ "while idle may reach a caller within Hikari's alive-bypass window");
				return null;
			}
		}

		private static Field accessible(Field field) {
			field.setAccessible(true);
			return field;
		}

		int markIdle(HikariPool pool) throws IllegalAccessException {
			ConcurrentBag<?> bag = (ConcurrentBag<?>) this.connectionBag.get(pool);
			long window = this.aliveBypassWindowMs.getLong(pool);
			// Just past the window, so that the housekeeper's idle timeout still counts from
			// about now
			long longAgo = ClockSource.plusMillis(ClockSource.currentTime(), -(window + 1));
			List<?> idle = bag.values(IConcurrentBagEntry.STATE_NOT_IN_USE);
			for (Object entry : idle) {
				this.lastAccessed.setLong(entry, longAgo);
			}
			return idle.size();
		}

	}

}
