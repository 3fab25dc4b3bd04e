package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

/**
 * Where db-budget gets a connection for its own short queries on the server.
 *
 * @author db-budget team
 */
@FunctionalInterface
public interface ConnectionSource {

	/**
	 * A connection, which the caller closes.
	 * @return the connection, or {@code null} if none can be had now without taking one the
	 * application is waiting for, or there is no PostgreSQL server to ask
	 * @throws SQLException if no connection could be had
	 */
	@Nullable Connection borrow() throws SQLException;

	/**
	 * A connection for a query an operator asked for, which the caller closes: unlike
	 * {@link #borrow()}, it may open one in a pool that keeps none idle.
	 * @return the connection, or {@code null} if none can be had now without taking one the
	 * application is waiting for, or there is no PostgreSQL server to ask
	 * @throws SQLException if no connection could be had
	 */
	default @Nullable Connection borrowOnRequest() throws SQLException {
		return borrow();
	}

}
