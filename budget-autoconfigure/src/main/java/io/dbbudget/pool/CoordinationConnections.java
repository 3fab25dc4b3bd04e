package io.dbbudget.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

import io.dbbudget.server.pgbouncer.PgBouncerLimits;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The connections fleet coordination counts the fleet on, each checked as it opens. Behind a
 * pooler that does not keep a client's server session, the session advisory locks that count
 * the fleet would stay on a server connection that other clients then use: two members could
 * hold the same slot, and an unlock could land on another connection. A check made once at
 * start-up may not have been able to ask the pooler (PgBouncer or its console did not answer
 * then), and PgBouncer's pool mode can change on a reload, so every connection is checked: one
 * that reaches the server through such a pooler, or through PgBouncer whose console does not
 * answer now, is closed and refused. Coordination then holds the pools at
 * {@code min-pool-size} and tries again at its next heartbeat.
 *
 * @author db-budget team
 */
final class CoordinationConnections extends DelegatingDataSource {

	private static final Log logger = LogFactory.getLog(CoordinationConnections.class);

	private final ServerProbe probe;

	private final Supplier<ServerAddress> address;

	// Coordination says once that it cannot join, with the first failure's reason: this one
	// must be seen even when an earlier failure was logged
	private volatile @Nullable String lastRefusal;

	/**
	 * Checked connections to a probe's server.
	 * @param probe the probe of the pools' server
	 * @param address the server, for the reason a connection is refused
	 */
	CoordinationConnections(ServerProbe probe, Supplier<ServerAddress> address) {
		super(probe.server());
		this.probe = probe;
		this.address = address;
	}

	@Override
	public Connection getConnection() throws SQLException {
		Connection connection = obtainTargetDataSource().getConnection();
		try {
			PgBouncerLimits pooler = this.probe.readPooler(connection);
			String refusal = PoolerRules.coordinationRefusal(pooler, this.address.get());
			if (refusal != null) {
				if (!refusal.equals(this.lastRefusal)) {
					logger.error("db-budget: fleet coordination cannot count the fleet, pools stay at min-pool-size: "
							+ refusal + ". " + PoolerRules.COORDINATION_ACTION);
				}
				this.lastRefusal = refusal;
				throw new SQLException(refusal + ". " + PoolerRules.COORDINATION_ACTION);
			}
			this.lastRefusal = null;
			return connection;
		}
		catch (SQLException | RuntimeException ex) {
			connection.close();
			throw ex;
		}
	}

}
