package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.dbbudget.budget.BudgetMode;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for db-budget.
 *
 * @author db-budget team
 */
@ConfigurationProperties("db.budget")
public class DbBudgetProperties {

	/**
	 * Whether to enable db-budget.
	 */
	private boolean enabled = true;

	/**
	 * What to do when a pool asks for more connections than its share: 'enforce' lowers it to
	 * the share and logs a warning, 'warn' only logs, 'fail' stops start-up.
	 */
	private BudgetMode mode = BudgetMode.ENFORCE;

	/**
	 * Server's connection limit. Read from the server (max_connections) when not set. Set it
	 * where the server cannot be asked, for example behind a pooler.
	 */
	private @Nullable Integer maxConnections;

	/**
	 * Connections kept free for everything outside this fleet: consoles, migrations,
	 * monitoring, other services. The server's own reserved slots are excluded on top of this.
	 */
	private int reservedConnections;

	/**
	 * Fraction, in (0, 1], of the available connections that this service's whole fleet may
	 * use.
	 */
	private @Nullable Double share;

	/**
	 * Absolute number of connections for this service's whole fleet. Replaces 'share'.
	 */
	private @Nullable Integer serviceConnections;

	/**
	 * How many instances (processes, replicas) of this service run at once.
	 */
	private int instances = 1;

	/**
	 * Smallest pool that is still useful. A share below it is a configuration error.
	 */
	private int minPoolSize = 1;

	/**
	 * Per-pool settings, by DataSource bean name.
	 */
	private Map<String, Pool> pools = new LinkedHashMap<>();

	/**
	 * Settings of one server that differ from the ones above, keyed by the bean name of a
	 * DataSource that reaches it, for example a read replica's. What is not set is
	 * inherited.
	 */
	private Map<String, Server> servers = new LinkedHashMap<>();

	/**
	 * Name sent to PostgreSQL as 'ApplicationName', or to MySQL and MariaDB as the
	 * 'program_name' connection attribute, unless the URL already sets one, so that
	 * server-side views group connections by service. Defaults to
	 * 'spring.application.name'.
	 */
	private @Nullable String applicationName;

	/**
	 * Server sessions of this application idle longer than this are what 'close-idle' may
	 * end.
	 */
	private Duration idleSessionAge = Duration.ofMinutes(5);

	/**
	 * How often the server's activity (pg_stat_activity) is sampled, on a pooled connection,
	 * for the actuator endpoint, the health indicator and the metrics. Sampling starts when
	 * one of them is first used.
	 */
	private Duration sampleInterval = Duration.ofSeconds(5);

	private final Retry retry = new Retry();

	private final Admission admission = new Admission();

	private final Health health = new Health();

	private final Coordination coordination = new Coordination();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public BudgetMode getMode() {
		return this.mode;
	}

	public void setMode(BudgetMode mode) {
		this.mode = mode;
	}

	public @Nullable Integer getMaxConnections() {
		return this.maxConnections;
	}

	public void setMaxConnections(@Nullable Integer maxConnections) {
		this.maxConnections = maxConnections;
	}

	public int getReservedConnections() {
		return this.reservedConnections;
	}

	public void setReservedConnections(int reservedConnections) {
		this.reservedConnections = reservedConnections;
	}

	public @Nullable Double getShare() {
		return this.share;
	}

	public void setShare(@Nullable Double share) {
		this.share = share;
	}

	public @Nullable Integer getServiceConnections() {
		return this.serviceConnections;
	}

	public void setServiceConnections(@Nullable Integer serviceConnections) {
		this.serviceConnections = serviceConnections;
	}

	public int getInstances() {
		return this.instances;
	}

	public void setInstances(int instances) {
		this.instances = instances;
	}

	public int getMinPoolSize() {
		return this.minPoolSize;
	}

	public void setMinPoolSize(int minPoolSize) {
		this.minPoolSize = minPoolSize;
	}

	public Map<String, Pool> getPools() {
		return this.pools;
	}

	public void setPools(Map<String, Pool> pools) {
		this.pools = pools;
	}

	public Map<String, Server> getServers() {
		return this.servers;
	}

	public void setServers(Map<String, Server> servers) {
		this.servers = servers;
	}

	public @Nullable String getApplicationName() {
		return this.applicationName;
	}

	public void setApplicationName(@Nullable String applicationName) {
		this.applicationName = applicationName;
	}

	public Duration getIdleSessionAge() {
		return this.idleSessionAge;
	}

	public void setIdleSessionAge(Duration idleSessionAge) {
		this.idleSessionAge = idleSessionAge;
	}

	public Duration getSampleInterval() {
		return this.sampleInterval;
	}

	public void setSampleInterval(Duration sampleInterval) {
		this.sampleInterval = sampleInterval;
	}

	public Retry getRetry() {
		return this.retry;
	}

	public Admission getAdmission() {
		return this.admission;
	}

	public Health getHealth() {
		return this.health;
	}

	public Coordination getCoordination() {
		return this.coordination;
	}

	/**
	 * Fleet coordination: instances count each other through PostgreSQL.
	 */
	public static class Coordination {

		/**
		 * Whether instances count each other through PostgreSQL advisory locks, so that the
		 * live count replaces 'instances', which becomes the starting guess. Each instance
		 * keeps one connection of its share for it.
		 */
		private boolean enabled;

		/**
		 * Name of the group the service's instances join. Defaults to the application name.
		 */
		private @Nullable String group;

		/**
		 * How often each instance counts the members of its group.
		 */
		private Duration heartbeat = Duration.ofSeconds(5);

		/**
		 * Whether members share the service's connections by demand, max-min fair, each
		 * publishing the peak of its connections in use plus waiting callers at every
		 * heartbeat. Off, every member gets an equal share.
		 */
		private boolean demandAware = true;

		/**
		 * How many instances may join the fleet at once, as an autoscaler adds them. Each
		 * joiner needs room for the connection that reads the limits, its coordination
		 * connection and min-pool-size for each of its pools until the others have shrunk, and
		 * the fleet keeps that room free for this many of them.
		 */
		private int joiners = 1;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getGroup() {
			return this.group;
		}

		public void setGroup(@Nullable String group) {
			this.group = group;
		}

		public Duration getHeartbeat() {
			return this.heartbeat;
		}

		public void setHeartbeat(Duration heartbeat) {
			this.heartbeat = heartbeat;
		}

		public int getJoiners() {
			return this.joiners;
		}

		public void setJoiners(int joiners) {
			this.joiners = joiners;
		}

		public boolean isDemandAware() {
			return this.demandAware;
		}

		public void setDemandAware(boolean demandAware) {
			this.demandAware = demandAware;
		}

	}

	/**
	 * Settings of one pool.
	 */
	public static class Pool {

		/**
		 * How this pool's instance share compares with the other pools' when one instance has
		 * several DataSources.
		 */
		private int weight = 1;

		public int getWeight() {
			return this.weight;
		}

		public void setWeight(int weight) {
			this.weight = weight;
		}

	}

	/**
	 * Settings of one server, replacing the service-wide ones for the pools that reach it.
	 */
	public static class Server {

		/**
		 * The server's connection limit, used instead of reading it from the server.
		 */
		private @Nullable Integer maxConnections;

		/**
		 * Connections kept free on this server for everything outside this service's fleet.
		 */
		private @Nullable Integer reservedConnections;

		/**
		 * Fraction of this server's available connections that this service's fleet may use.
		 */
		private @Nullable Double share;

		/**
		 * Connections on this server for this service's whole fleet, instead of a share.
		 */
		private @Nullable Integer serviceConnections;

		public @Nullable Integer getMaxConnections() {
			return this.maxConnections;
		}

		public void setMaxConnections(@Nullable Integer maxConnections) {
			this.maxConnections = maxConnections;
		}

		public @Nullable Integer getReservedConnections() {
			return this.reservedConnections;
		}

		public void setReservedConnections(@Nullable Integer reservedConnections) {
			this.reservedConnections = reservedConnections;
		}

		public @Nullable Double getShare() {
			return this.share;
		}

		public void setShare(@Nullable Double share) {
			this.share = share;
		}

		public @Nullable Integer getServiceConnections() {
			return this.serviceConnections;
		}

		public void setServiceConnections(@Nullable Integer serviceConnections) {
			this.serviceConnections = serviceConnections;
		}

	}

	/**
	 * Retry of connection acquisition.
	 */
	public static class Retry {

		/**
		 * Whether to retry connection acquisition on transient failures: too many
		 * connections, server shutting down or starting, connection failure, pool timeout
		 * while the pool cannot open connections.
		 */
		private boolean enabled = true;

		/**
		 * Attempts in all, the first included.
		 */
		private int maxAttempts = 5;

		/**
		 * Back-off before the first retry.
		 */
		private Duration initialInterval = Duration.ofMillis(500);

		/**
		 * Growth of the back-off from one retry to the next.
		 */
		private double multiplier = 2.0;

		/**
		 * Largest single back-off.
		 */
		private Duration maxInterval = Duration.ofSeconds(30);

		/**
		 * Whether to randomise back-offs so that instances do not retry in step.
		 */
		private boolean jitter = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getMaxAttempts() {
			return this.maxAttempts;
		}

		public void setMaxAttempts(int maxAttempts) {
			this.maxAttempts = maxAttempts;
		}

		public Duration getInitialInterval() {
			return this.initialInterval;
		}

		public void setInitialInterval(Duration initialInterval) {
			this.initialInterval = initialInterval;
		}

		public double getMultiplier() {
			return this.multiplier;
		}

		public void setMultiplier(double multiplier) {
			this.multiplier = multiplier;
		}

		public Duration getMaxInterval() {
			return this.maxInterval;
		}

		public void setMaxInterval(Duration maxInterval) {
			this.maxInterval = maxInterval;
		}

		public boolean isJitter() {
			return this.jitter;
		}

		public void setJitter(boolean jitter) {
			this.jitter = jitter;
		}

	}

	/**
	 * The admission gate in front of each Hikari pool.
	 */
	public static class Admission {

		/**
		 * Whether callers beyond twice a pool's maximum size wait at db-budget's admission
		 * gate, parked, instead of inside the pool, where Hikari hands connections over by
		 * spinning. While nobody waits at the gate, as many callers as the pool has
		 * connections may wait inside it beyond those holding one, where Hikari's hand-off is
		 * quickest. The wait counts against the pool's connection timeout either way.
		 */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Levels of the health indicator and endpoint.
	 */
	public static class Health {

		/**
		 * Server utilization, from 0 to 1, at which the level becomes WARNING.
		 */
		private double warnUtilization = 0.70;

		/**
		 * Server utilization, from 0 to 1, at which the level becomes CRITICAL.
		 */
		private double criticalUtilization = 0.85;

		public double getWarnUtilization() {
			return this.warnUtilization;
		}

		public void setWarnUtilization(double warnUtilization) {
			this.warnUtilization = warnUtilization;
		}

		public double getCriticalUtilization() {
			return this.criticalUtilization;
		}

		public void setCriticalUtilization(double criticalUtilization) {
			this.criticalUtilization = criticalUtilization;
		}

	}

}
