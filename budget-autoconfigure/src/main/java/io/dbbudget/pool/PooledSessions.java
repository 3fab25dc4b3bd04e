package io.dbbudget.pool;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.util.ConcurrentBag;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The server sessions of a pool's connections, in use or idle: the PostgreSQL backend pid or
 * the MySQL or MariaDB connection id of each, so that {@code close-idle} never ends a session
 * that a caller holds. The server cannot tell such a session apart: a connection held between
 * two statements in autocommit shows as idle, as one waiting in the pool does.
 * <p>
 * They are read from Hikari's own list of the pool's connections when they are asked for,
 * and each driver keeps its session's id from the login: nothing is added to the path by
 * which callers get and return connections, no round trip is made, and no lock is taken. The
 * alternative, recording each connection as it is handed out, would cost every acquisition a
 * registration and every return its removal, and would miss connections taken from the pool
 * itself rather than through db-budget's wrapper. Every connection of the pool is counted, not
 * only those in use: an idle one may be handed out the moment after it is read, and
 * {@code close-idle} closes the pool's idle connections through the pool anyway.
 * <p>
 * It reaches two of Hikari's package-private fields (checked against HikariCP 7.0.2), and
 * knows pgjdbc, MariaDB Connector/J and MySQL Connector/J; elsewhere the sessions are not
 * known, and {@code close-idle} ends none.
 *
 * @author db-budget team
 */
final class PooledSessions {

	private static final Log logger = LogFactory.getLog(PooledSessions.class);

	// Each driver's connection type and the method that answers its session's id from what
	// the login returned, without asking the server
	private static final List<SessionIdMethod> SESSION_ID_METHODS = List.of(
			new SessionIdMethod("org.postgresql.PGConnection", "getBackendPID"),
			new SessionIdMethod("org.mariadb.jdbc.Connection", "getThreadId"),
			new SessionIdMethod("com.mysql.cj.jdbc.JdbcConnection", "getId"));

	private static final @Nullable Internals internals = Internals.find();

	private PooledSessions() {
	}

	/**
	 * The server sessions of every connection the pool holds now.
	 * @param dataSource the pool
	 * @return the sessions' ids, empty for a pool not started, or {@code null} if they cannot be
	 * known: this Hikari version or the pool's driver hides them
	 */
	static @Nullable Set<Long> of(HikariDataSource dataSource) {
		if (!(dataSource.getHikariPoolMXBean() instanceof HikariPool pool)) {
			return Set.of();
		}
		if (internals == null) {
			return null;
		}
		Set<Long> ids = new HashSet<>();
		try {
			for (Connection connection : internals.connections(pool)) {
				Long id = sessionId(connection);
				if (id == null) {
					return null;
				}
				ids.add(id);
			}
		}
		catch (IllegalAccessException ex) {
			return null;
		}
		return ids;
	}

	private static @Nullable Long sessionId(Connection connection) {
		for (SessionIdMethod method : SESSION_ID_METHODS) {
			try {
				Class<?> type = Class.forName(method.type(), false, connection.getClass().getClassLoader());
				if (connection.isWrapperFor(type)) {
					return ((Number) type.getMethod(method.name()).invoke(connection.unwrap(type))).longValue();
				}
			}
			catch (ReflectiveOperationException | SQLException | RuntimeException ex) {
				// Not this driver
			}
		}
		return null;
	}

	private record SessionIdMethod(String type, String name) {

	}

	private record Internals(Field connectionBag, Field connection) {

		static @Nullable Internals find() {
			try {
				Field bag = HikariReflection.field(HikariPool.class, "connectionBag", ConcurrentBag.class);
				Class<?> entry = HikariReflection.entryType(HikariPool.class, HikariReflection.POOL_ENTRY);
				return new Internals(bag, HikariReflection.field(entry, "connection", Connection.class));
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				logger.warn("db-budget: this HikariCP version hides the connections of its pools (" + ex
						+ "); close-idle closes the pools' idle connections but ends no server session, as it could "
						+ "not tell the sessions of connections in use");
				return null;
			}
		}

		List<Connection> connections(HikariPool pool) throws IllegalAccessException {
			ConcurrentBag<?> bag = (ConcurrentBag<?>) this.connectionBag.get(pool);
			// A copy of the bag's list, whatever each entry's state
			List<?> entries = bag.values();
			List<Connection> connections = new ArrayList<>(entries.size());
			for (Object entry : entries) {
				// None once Hikari has taken the entry out to close it
				if (this.connection.get(entry) instanceof Connection connection) {
					connections.add(connection);
				}
			}
			return connections;
		}

	}

}
