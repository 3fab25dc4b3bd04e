package io.dbbudget.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A pool's connection that holds one of the {@link AdmissionGate}'s permits, or a place
 * beyond them, until it is closed. Closing it twice, or from several threads at once,
 * returns it once.
 * <p>
 * A connection that is never closed keeps its permit, as it keeps its pool connection: the
 * pool's leak detection still sees the connection, which is Hikari's own underneath. One closed
 * through another handle on Hikari's connection ({@code Statement.getConnection()}) is back in
 * the pool and keeps its permit: the gate says so once (see {@link AdmissionGate}).
 *
 * @author db-budget team
 */
final class GatedConnection extends ConnectionDelegate {

	private static final AtomicIntegerFieldUpdater<GatedConnection> STATE = AtomicIntegerFieldUpdater
		.newUpdater(GatedConnection.class, "state");

	// The default, 0, is a connection that holds a permit
	private static final int BEYOND_PERMITS = 1;

	private static final int CLOSED = 2;

	private final AdmissionGate gate;

	// What the connection holds and whether it is closed, in one field: the wrapper stays 24
	// bytes
	private volatile int state;

	GatedConnection(Connection delegate, AdmissionGate gate, boolean beyondPermits) {
		super(delegate);
		this.gate = gate;
		if (beyondPermits) {
			// The common case keeps the field's default: no volatile write on the fast path
			this.state = BEYOND_PERMITS;
		}
	}

	@Override
	public void close() throws SQLException {
		int open = this.state;
		if (open != CLOSED && STATE.compareAndSet(this, open, CLOSED)) {
			try {
				this.delegate.close();
			}
			finally {
				// After the pool has the connection back, so that the caller let in finds it
				this.gate.release(open == BEYOND_PERMITS);
			}
		}
	}

	// An aborted connection is closed as far as the application is concerned: its permit comes
	// back, and the pool drops it (returned, it would hand the dead connection out again)
	@Override
	public void abort(Executor executor) throws SQLException {
		int open = this.state;
		if (open != CLOSED && STATE.compareAndSet(this, open, CLOSED)) {
			try {
				this.delegate.abort(executor);
			}
			finally {
				try {
					this.gate.evict(this.delegate);
				}
				finally {
					this.gate.release(open == BEYOND_PERMITS);
				}
			}
		}
	}

	@Override
	public boolean isClosed() throws SQLException {
		return this.state == CLOSED || this.delegate.isClosed();
	}

	@Override
	public <T> T unwrap(Class<T> iface) throws SQLException {
		if (iface.isInstance(this)) {
			return iface.cast(this);
		}
		if (iface.isInstance(this.delegate)) {
			return iface.cast(this.delegate);
		}
		return this.delegate.unwrap(iface);
	}

	@Override
	public boolean isWrapperFor(Class<?> iface) throws SQLException {
		return iface.isInstance(this) || iface.isInstance(this.delegate) || this.delegate.isWrapperFor(iface);
	}

	@Override
	public String toString() {
		return "GatedConnection[" + this.delegate + "]";
	}

}
