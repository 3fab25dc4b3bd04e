package io.dbbudget.advisor;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The settings of one Hikari pool that the advisor checks, as the pool applies them. A zero
 * duration means off.
 *
 * @param name the pool's bean name
 * @param propertyPrefix where the pool's properties are bound, for example
 * {@code spring.datasource.hikari}, or {@code null} if that is not known
 * @param maximumPoolSize its maximum size
 * @param minimumIdle the idle connections it keeps
 * @param idleTimeout how long a connection above {@code minimumIdle} may stay idle
 * @param maxLifetime how long a connection may live
 * @param keepaliveTime how often an idle connection is tested, which keeps it alive
 * @param leakDetectionThreshold how long a connection may be out before a leak is logged
 * @author db-budget team
 */
public record PoolSettings(String name, @Nullable String propertyPrefix, int maximumPoolSize, int minimumIdle,
		Duration idleTimeout, Duration maxLifetime, Duration keepaliveTime, Duration leakDetectionThreshold) {

	// Hikari's own bounds: it replaces values outside them when the pool starts
	private static final Duration SHORTEST_LIFETIME = Duration.ofSeconds(30);

	private static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(30);

	private static final Duration SHORTEST_KEEPALIVE = Duration.ofSeconds(30);

	private static final Duration SHORTEST_LEAK_DETECTION = Duration.ofSeconds(2);

	// How often Hikari's housekeeping retires connections past their idle-timeout
	private static final Duration HOUSEKEEPING_PERIOD = Duration.ofSeconds(30);

	/**
	 * The settings as a Hikari pool applies them when it starts: a {@code maxLifetime} under
	 * 30 s becomes 30 min, a {@code keepaliveTime} under 30 s or not under {@code maxLifetime}
	 * is off, a {@code leakDetectionThreshold} under 2 s or over {@code maxLifetime} is off.
	 * @param name the pool's bean name
	 * @param propertyPrefix where its properties are bound, or {@code null}
	 * @param maximumPoolSize its maximum size
	 * @param minimumIdle the idle connections it keeps, negative for {@code maximumPoolSize}
	 * @param idleTimeout as configured
	 * @param maxLifetime as configured
	 * @param keepaliveTime as configured
	 * @param leakDetectionThreshold as configured
	 * @return the settings in effect
	 */
	public static PoolSettings ofHikari(String name, @Nullable String propertyPrefix, int maximumPoolSize,
			int minimumIdle, Duration idleTimeout, Duration maxLifetime, Duration keepaliveTime,
			Duration leakDetectionThreshold) {
		Duration lifetime = (!maxLifetime.isZero() && maxLifetime.compareTo(SHORTEST_LIFETIME) < 0) ? DEFAULT_LIFETIME
				: maxLifetime;
		Duration keepalive = (keepaliveTime.compareTo(SHORTEST_KEEPALIVE) < 0
				|| (!lifetime.isZero() && keepaliveTime.compareTo(lifetime) >= 0)) ? Duration.ZERO : keepaliveTime;
		Duration leakDetection = (leakDetectionThreshold.compareTo(SHORTEST_LEAK_DETECTION) < 0
				|| (!lifetime.isZero() && leakDetectionThreshold.compareTo(lifetime) > 0)) ? Duration.ZERO
						: leakDetectionThreshold;
		int minimum = (minimumIdle < 0 || minimumIdle > maximumPoolSize) ? maximumPoolSize : minimumIdle;
		return new PoolSettings(name, propertyPrefix, maximumPoolSize, minimum, idleTimeout, lifetime, keepalive,
				leakDetection);
	}

	/**
	 * The longest an idle connection can wait in the pool before the pool tests it (which
	 * keeps it alive) or closes it.
	 * @return the time, or {@code null} if an idle connection can wait for ever
	 */
	public @Nullable Duration longestUntouchedIdle() {
		Duration longest = null;
		if (!this.keepaliveTime.isZero()) {
			longest = this.keepaliveTime;
		}
		if (!this.maxLifetime.isZero()) {
			longest = shorter(longest, this.maxLifetime);
		}
		// idle-timeout retires connections above minimum-idle only
		if (this.minimumIdle == 0 && !this.idleTimeout.isZero()) {
			longest = shorter(longest, this.idleTimeout.plus(HOUSEKEEPING_PERIOD));
		}
		return longest;
	}

	/**
	 * Which setting bounds {@link #longestUntouchedIdle()}.
	 * @return the property's name
	 */
	String untouchedIdleBound() {
		Duration longest = longestUntouchedIdle();
		if (longest != null && longest.equals(this.keepaliveTime)) {
			return "keepalive-time";
		}
		return (longest != null && longest.equals(this.maxLifetime)) ? "max-lifetime" : "idle-timeout";
	}

	/**
	 * How the user sets one of this pool's properties.
	 * @param property the property in Spring Boot's form, for example {@code keepalive-time}
	 * @return the full property name, or the property and the pool's name
	 */
	String property(String property) {
		return (this.propertyPrefix != null) ? this.propertyPrefix + "." + property
				: property + " of pool '" + this.name + "'";
	}

	private static Duration shorter(@Nullable Duration a, Duration b) {
		return (a == null || b.compareTo(a) < 0) ? b : a;
	}

}
