package io.dbbudget.server;

import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Sessions that {@code close-idle} must leave alone although the server shows them idle: the
 * server cannot tell a connection that the application holds, between two statements outside
 * a transaction, from one that waits in a pool, and an account without privileges cannot list
 * the named locks of MySQL and MariaDB.
 *
 * @param sessionIds the server sessions of this instance's pooled connections, in use or not
 * (PostgreSQL backend pids, MySQL and MariaDB connection ids)
 * @param fleetGroupKey the key of the fleet whose coordination sessions are spared on MySQL
 * and MariaDB, where they hold named locks, or {@code null} when coordination is off
 * @author db-budget team
 */
public record SparedSessions(Set<Long> sessionIds, @Nullable Integer fleetGroupKey) {

}
