package io.dbbudget.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.dbbudget.scheduling.BackgroundScheduler;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Lets at most twice as many callers into a Hikari pool as the pool has connections, and
 * queues the others in front of the pool, parked.
 * <p>
 * Hikari hands a returned connection to a waiting thread by spinning with
 * {@code Thread.yield()} until one takes it, and every waiting thread asks the pool to add a
 * connection. With a few waiters that hand-off is quick, and the gate stays out of its way:
 * while nobody queues at the gate, as many callers as the pool has connections may wait inside
 * it, beyond the permits. With many more callers than connections, that spinning takes the CPU
 * that the database and the callers holding connections need. Once callers queue at the gate,
 * nobody else goes in beyond the permits, and the pool soon has no waiting threads: a caller
 * enters only when a permit is free, and a caller whose connection is returned takes the next
 * permit without a thread switch (see {@link Permits} for the bound on that).
 * <p>
 * A permit, or a place beyond the permits, is held from {@code getConnection()} until the
 * connection is closed, once, by any thread: the connection handed out is a
 * {@link GatedConnection}. The number of permits follows the pool's maximum size, read from the
 * pool, through resizes at run time; while a shrink is paid off, nobody goes in beyond them.
 * <p>
 * The wait at the gate counts against the pool's {@code connectionTimeout}, and a caller that
 * runs out of time gets the pool's own timeout failure. An interrupt ends the wait at once and
 * keeps the thread's interrupt flag, as in Hikari.
 *
 * @author db-budget team
 */
public final class AdmissionGate {

	private static final AtomicIntegerFieldUpdater<AdmissionGate> LIMIT = AtomicIntegerFieldUpdater
		.newUpdater(AdmissionGate.class, "limit");

	private static final Log logger = LogFactory.getLog(AdmissionGate.class);

	private static final long RESIZE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	// Longer than any close takes between Hikari's return and the permit's
	private static final long LEAK_EVIDENCE_NANOS = TimeUnit.SECONDS.toNanos(1);

	// One daemon thread for every gate of the JVM, only while callers wait: it ends once nobody
	// has waited for a while, so that it keeps no application's class loader after a redeploy,
	// and the next caller to wait starts it again on its way to the queue, off the fast path
	private static final ScheduledExecutorService SIZE_WATCH = BackgroundScheduler
		.createEndingWhenIdle("db-budget-admission-gate-watch", Duration.ofSeconds(10));

	private final HikariDataSource pool;

	private final Permits permits;

	private final AtomicBoolean watched = new AtomicBoolean();

	private final AtomicInteger waitingToWatchFor = new AtomicInteger();

	private final LongAdder waits = new LongAdder();

	private final LongAdder waitNanos = new LongAdder();

	private volatile int limit;

	// Confined to the watching thread: since when permits have been held by connections the
	// pool has taken back, or 0
	private long leakSeenSince;

	private boolean leakReported;

	/**
	 * Create a gate in front of a pool, with as many permits as the pool's maximum size.
	 * @param pool the pool
	 */
	public AdmissionGate(HikariDataSource pool) {
		this.pool = pool;
		this.limit = pool.getMaximumPoolSize();
		this.permits = new Permits(this.limit);
	}

	/**
	 * A connection from the pool, waiting at the gate first if every connection is held.
	 * @return the connection; closing it returns its permit
	 * @throws SQLException the pool's failure, its timeout, or an interrupt
	 */
	public Connection getConnection() throws SQLException {
		if (this.limit == this.pool.getMaximumPoolSize() && this.permits.tryTake()) {
			return connect();
		}
		return getConnection(System.nanoTime());
	}

	/**
	 * A connection from the pool for a caller that has been waiting since {@code startNanos}.
	 * @param startNanos when the caller asked, from {@link System#nanoTime()}
	 * @return the connection; closing it returns its permit
	 * @throws SQLException the pool's failure, its timeout, or an interrupt
	 */
	public Connection getConnection(long startNanos) throws SQLException {
		long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(this.pool.getConnectionTimeout());
		followPoolSize();
		boolean beyondPermits = false;
		if (!this.permits.tryTake()) {
			beyondPermits = this.permits.tryBeyond(this.limit);
			if (!beyondPermits && !awaitPermit(startNanos, deadline)) {
				return timedOut(startNanos);
			}
		}
		long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
		HikariPoolMXBean started = this.pool.getHikariPoolMXBean();
		try {
			// The plain call would wait the full timeout again: Hikari's pool takes what is left
			Connection connection = (started instanceof HikariPool hikari && !this.pool.isClosed())
					? hikari.getConnection(Math.max(1, remainingMillis)) : this.pool.getConnection();
			return new GatedConnection(connection, this, beyondPermits);
		}
		catch (SQLException | RuntimeException | Error ex) {
			release(beyondPermits);
			throw ex;
		}
	}

	private Connection connect() throws SQLException {
		try {
			return new GatedConnection(this.pool.getConnection(), this, false);
		}
		catch (SQLException | RuntimeException | Error ex) {
			this.permits.give();
			throw ex;
		}
	}

	private boolean awaitPermit(long startNanos, long deadline) throws SQLException {
		this.waitingToWatchFor.incrementAndGet();
		watchPoolSize();
		try {
			return this.permits.tryAcquireSharedNanos(1, deadline - System.nanoTime());
		}
		catch (InterruptedException ex) {
			// As Hikari does: the flag stays set, and the failure is not transient
			Thread.currentThread().interrupt();
			throw new SQLException(this.pool.getPoolName() + " - Interrupted during connection acquisition", ex);
		}
		finally {
			this.waitingToWatchFor.decrementAndGet();
			this.waits.increment();
			this.waitNanos.add(System.nanoTime() - startNanos);
		}
	}

	/**
	 * Looks at the pool's maximum every {@link #RESIZE_CHECK_NANOS} while callers wait, so that
	 * a pool made larger while every connection is held lets them in without a return. The
	 * looking is done on a background thread: a waiter that looked itself would have to leave
	 * the queue to do it and join it again at the end, and under load it would never reach the
	 * front.
	 */
	private void watchPoolSize() {
		if (this.watched.compareAndSet(false, true)) {
			SIZE_WATCH.schedule(this::lookAtPoolSize, RESIZE_CHECK_NANOS, TimeUnit.NANOSECONDS);
		}
	}

	private void lookAtPoolSize() {
		try {
			followPoolSize();
			lookForLeakedPermits();
		}
		finally {
			// Cleared before the count is read, and a new waiter counts itself before it tries to
			// set it: either this sees the waiter, or the waiter starts the next look itself
			this.watched.set(false);
			if (this.waitingToWatchFor.get() > 0) {
				watchPoolSize();
			}
		}
	}

	/**
	 * A connection closed through another handle on Hikari's connection, such as
	 * {@code Statement.getConnection().close()}, is back in the pool while its wrapper keeps its
	 * permit. Nothing else can see that happen: callers then wait at the gate for connections
	 * that are idle in the pool. While callers wait, more permits held than the pool has
	 * connections out (beside those beyond the permits) for a second is that, and is said once.
	 */
	private void lookForLeakedPermits() {
		if (this.leakReported || !(this.pool.getHikariPoolMXBean() instanceof HikariPool hikari)) {
			return;
		}
		int held = this.limit - Math.max(0, this.permits.available());
		int leaked = held - (hikari.getActiveConnections() - this.permits.beyond());
		long now = System.nanoTime();
		if (leaked <= 0) {
			this.leakSeenSince = 0;
		}
		else if (this.leakSeenSince == 0) {
			this.leakSeenSince = now;
		}
		else if (now - this.leakSeenSince >= LEAK_EVIDENCE_NANOS) {
			this.leakReported = true;
			logger.warn("db-budget: pool '" + this.pool.getPoolName() + "': " + leaked + " of the admission gate's "
					+ this.limit + " permits are held by connections the pool has already taken back, so callers wait "
					+ "at the gate while connections sit idle in the pool. A connection was closed through another "
					+ "handle on it (Statement.getConnection(), ResultSet.getStatement().getConnection()) instead of "
					+ "the one getConnection() returned: close that one, or turn the gate off with "
					+ "db.budget.admission.enabled=false");
		}
	}

	/**
	 * Ends a wait that ran out of time the way the pool's own timeout ends: the pool is asked
	 * once more without waiting, and its timeout failure (same type, SQLSTATE and cause, so
	 * the same retry classification) is passed on with the time actually waited.
	 */
	private Connection timedOut(long startNanos) throws SQLException {
		HikariPoolMXBean started = this.pool.getHikariPoolMXBean();
		try {
			Connection connection = (started instanceof HikariPool hikari && !this.pool.isClosed())
					? hikari.getConnection(0) : this.pool.getConnection();
			// The pool had a connection that the permits did not know of: count it as held
			this.permits.owe();
			return new GatedConnection(connection, this, false);
		}
		catch (SQLTransientConnectionException ex) {
			if (!(started instanceof HikariPool hikari)) {
				throw ex;
			}
			long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
			SQLTransientConnectionException timeout = new SQLTransientConnectionException(this.pool.getPoolName()
					+ " - Connection is not available, request timed out after " + waited + "ms (total="
					+ hikari.getTotalConnections() + ", active=" + hikari.getActiveConnections() + ", idle="
					+ hikari.getIdleConnections() + ", waiting at db-budget's admission gate=" + getWaiting() + ")",
					ex.getSQLState(), ex.getErrorCode(), ex.getCause());
			timeout.setNextException(ex.getNextException());
			throw timeout;
		}
	}

	private void followPoolSize() {
		int maximum = this.pool.getMaximumPoolSize();
		int current = this.limit;
		if (maximum != current && LIMIT.compareAndSet(this, current, maximum)) {
			this.permits.resize(maximum - current);
		}
	}

	void evict(Connection connection) {
		this.pool.evictConnection(connection);
	}

	void release(boolean beyondPermits) {
		if (beyondPermits) {
			this.permits.leaveBeyond();
		}
		else {
			this.permits.give();
		}
	}

	/**
	 * The number of permits: the pool's maximum size when the gate last looked.
	 * @return the permits
	 */
	public int getPermits() {
		return this.limit;
	}

	/**
	 * Permits not held now; negative while the pool shrinks below the connections held.
	 * @return the free permits
	 */
	public int getAvailable() {
		return this.permits.available();
	}

	/**
	 * Callers waiting at the gate now. Hikari's own pending count does not include them.
	 * @return the callers waiting
	 */
	public int getWaiting() {
		return this.permits.getQueueLength();
	}

	/**
	 * Callers that had to wait at the gate, since it was made.
	 * @return the count
	 */
	public long getWaits() {
		return this.waits.sum();
	}

	/**
	 * The time callers spent waiting at the gate, added up, since it was made.
	 * @return the total
	 */
	public Duration getTotalWait() {
		return Duration.ofNanos(this.waitNanos.sum());
	}

}
