package io.dbbudget.retry;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A pool's connection that holds one of the {@link AdmissionGate}'s permits until it is
 * closed. Closing it twice, or from several threads at once, returns the permit once.
 * <p>
 * A connection that is never closed keeps its permit, as it keeps its pool connection: the
 * pool's leak detection still sees the connection, which is Hikari's own underneath.
 *
 * @author db-budget team
 */
final class GatedConnection extends ConnectionDelegate {

	private static final AtomicIntegerFieldUpdater<GatedConnection> CLOSED = AtomicIntegerFieldUpdater
		.newUpdater(GatedConnection.class, "closed");

	private final AdmissionGate gate;

	private volatile int closed;

	GatedConnection(Connection delegate, AdmissionGate gate) {
		super(delegate);
		this.gate = gate;
	}

	@Override
	public void close() throws SQLException {
		if (CLOSED.compareAndSet(this, 0, 1)) {
			try {
				this.delegate.close();
			}
			finally {
				// After the pool has the connection back, so that the caller let in finds it
				this.gate.release();
			}
		}
	}

	@Override
	public boolean isClosed() throws SQLException {
		return this.closed != 0 || this.delegate.isClosed();
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
