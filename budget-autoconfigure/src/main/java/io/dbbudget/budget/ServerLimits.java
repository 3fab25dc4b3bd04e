package io.dbbudget.budget;

/**
 * What the server allows: its connection limit, the slots it keeps for itself and the limits
 * set on the database and the role the pools connect with.
 *
 * @param maxConnections the server's {@code max_connections}, the configured
 * {@code db.budget.max-connections}, or PgBouncer's {@code max_client_conn}
 * @param serverReservedConnections slots only superusers (or {@code pg_use_reserved_connections}
 * members) may use: {@code superuser_reserved_connections} plus {@code reserved_connections}
 * @param databaseConnectionLimit {@code pg_database.datconnlimit}, or {@link #NO_LIMIT}
 * @param roleConnectionLimit {@code pg_roles.rolconnlimit}, or {@link #NO_LIMIT}
 * @param source where these numbers came from
 * @author db-budget team
 */
public record ServerLimits(int maxConnections, int serverReservedConnections, int databaseConnectionLimit,
		int roleConnectionLimit, Source source) {

	/**
	 * PostgreSQL's value for "no connection limit" on a database or role.
	 */
	public static final int NO_LIMIT = -1;

	/**
	 * Limits given by configuration, where the server is not asked.
	 * @param maxConnections the configured limit
	 * @return the limits
	 */
	public static ServerLimits configured(int maxConnections) {
		return new ServerLimits(maxConnections, 0, NO_LIMIT, NO_LIMIT, Source.CONFIGURED);
	}

	/**
	 * The connections the fleet's role may open on the fleet's database: the server's limit
	 * less its reserved slots, capped by the database and role limits where those are set.
	 * @return the usable limit
	 */
	public int usableConnections() {
		int usable = this.maxConnections - this.serverReservedConnections;
		if (this.databaseConnectionLimit > NO_LIMIT) {
			usable = Math.min(usable, this.databaseConnectionLimit);
		}
		if (this.roleConnectionLimit > NO_LIMIT) {
			usable = Math.min(usable, this.roleConnectionLimit);
		}
		return usable;
	}

	/**
	 * Where the server's numbers came from.
	 */
	public enum Source {

		/**
		 * {@code db.budget.max-connections} was set, the server was not asked.
		 */
		CONFIGURED,

		/**
		 * Read from the server.
		 */
		SERVER,

		/**
		 * Read from PgBouncer's admin console: {@code max_client_conn}, and the limits that
		 * cap a client in session mode (as database and role limits). PgBouncer keeps no
		 * reserved slots.
		 */
		PGBOUNCER

	}

}
