package io.dbbudget.budget;

import java.util.Map;

/**
 * What the server allows: its connection limit, the slots it keeps for itself and the limits
 * set on the database and the role the pools connect with.
 *
 * @param maxConnections the server's {@code max_connections}, the configured
 * {@code db.budget.max-connections}, or PgBouncer's {@code max_client_conn}
 * @param serverReservedConnections slots of {@code max_connections} the application may not
 * use: on PostgreSQL {@code superuser_reserved_connections} plus {@code reserved_connections};
 * on MySQL and MariaDB none (their extra admin connection is beyond {@code max_connections});
 * PgBouncer keeps none
 * @param databaseConnectionLimit {@code pg_database.datconnlimit}, or {@link #NO_LIMIT}
 * @param roleConnectionLimit {@code pg_roles.rolconnlimit}, or on MySQL and MariaDB the
 * account's {@code MAX_USER_CONNECTIONS} (else {@code max_user_connections}), or
 * {@link #NO_LIMIT}
 * @param source where these numbers came from
 * @param sources where each of the server's numbers came from, by field name
 * ({@code serverMaxConnections}, {@code serverReservedConnections},
 * {@code databaseConnectionLimit}, {@code roleConnectionLimit}), in the server's own terms;
 * empty when the server was not asked
 * @author db-budget team
 */
public record ServerLimits(int maxConnections, int serverReservedConnections, int databaseConnectionLimit,
		int roleConnectionLimit, Source source, Map<String, String> sources) {

	/**
	 * The value for "no connection limit" on a database or role.
	 */
	public static final int NO_LIMIT = -1;

	/**
	 * Where PostgreSQL's numbers come from.
	 */
	public static final Map<String, String> POSTGRESQL_SOURCES = Map.of("serverMaxConnections",
			"server: max_connections", "serverReservedConnections",
			"server: superuser_reserved_connections + reserved_connections", "databaseConnectionLimit",
			"server: pg_database.datconnlimit", "roleConnectionLimit", "server: pg_roles.rolconnlimit");

	/**
	 * Where PgBouncer's numbers come from.
	 */
	public static final Map<String, String> PGBOUNCER_SOURCES = Map.of("serverMaxConnections",
			"PgBouncer: max_client_conn", "serverReservedConnections", "PgBouncer keeps none",
			"databaseConnectionLimit",
			"PgBouncer: the database's max_db_client_connections, in session mode at most its max_db_connections",
			"roleConnectionLimit",
			"PgBouncer: the user's max_user_client_connections, in session mode at most the pool_size + "
					+ "reserve_pool_size and the max_user_connections of the user PgBouncer logs in to the server as");

	/**
	 * Limits read from PostgreSQL or PgBouncer, or configured.
	 * @param maxConnections the server's {@code max_connections}, or the configured limit
	 * @param serverReservedConnections the server's reserved slots
	 * @param databaseConnectionLimit the database's limit, or {@link #NO_LIMIT}
	 * @param roleConnectionLimit the role's limit, or {@link #NO_LIMIT}
	 * @param source where these numbers came from
	 */
	public ServerLimits(int maxConnections, int serverReservedConnections, int databaseConnectionLimit,
			int roleConnectionLimit, Source source) {
		this(maxConnections, serverReservedConnections, databaseConnectionLimit, roleConnectionLimit, source,
				switch (source) {
					case SERVER -> POSTGRESQL_SOURCES;
					case PGBOUNCER -> PGBOUNCER_SOURCES;
					case CONFIGURED -> Map.of();
				});
	}

	public ServerLimits {
		sources = Map.copyOf(sources);
	}

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
		 * Read from PgBouncer's admin console: {@code max_client_conn}, and the database's and
		 * the user's limits that cap a client (as database and role limits). PgBouncer keeps no
		 * reserved slots.
		 */
		PGBOUNCER

	}

}
