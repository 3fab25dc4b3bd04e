package io.dbbudget.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Forwards a port of {@code 127.0.0.1} to another, byte for byte, as a container's port
 * mapping or an SSH tunnel does: the client sees one port, the server listens on another.
 * <pre class="code">
 * try (PortForwarder forwarder = PortForwarder.to(server.port())) {
 *     DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + forwarder.port() + "/postgres", "postgres", "");
 * }
 * </pre>
 */
public final class PortForwarder implements AutoCloseable {

	private final ServerSocket listener;

	private final int target;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private PortForwarder(ServerSocket listener, int target) {
		this.listener = listener;
		this.target = target;
	}

	/**
	 * Starts forwarding a free port to a target port.
	 * @param target the port connections are forwarded to
	 * @return the running forwarder
	 */
	public static PortForwarder to(int target) {
		try {
			PortForwarder forwarder = new PortForwarder(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
					target);
			daemon(forwarder::accept);
			return forwarder;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not listen on a free port of 127.0.0.1", ex);
		}
	}

	/**
	 * Returns the port clients connect to.
	 * @return the port
	 */
	public int port() {
		return this.listener.getLocalPort();
	}

	private void accept() {
		while (!this.listener.isClosed()) {
			try {
				Socket client = this.listener.accept();
				Socket server = new Socket(InetAddress.getLoopbackAddress(), this.target);
				this.sockets.add(client);
				this.sockets.add(server);
				pump(client, server);
				pump(server, client);
			}
			catch (IOException ex) {
				// closed: the forwarder stops
			}
		}
	}

	private static void pump(Socket from, Socket to) {
		daemon(() -> {
			try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
				in.transferTo(out);
			}
			catch (IOException ex) {
				// one side closed: closing both ends the other pump too
			}
			finally {
				closeQuietly(from);
				closeQuietly(to);
			}
		});
	}

	private static void daemon(Runnable task) {
		Thread thread = new Thread(task, "port-forwarder");
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Stops listening and closes every forwarded connection.
	 */
	@Override
	public void close() {
		closeQuietly(this.listener);
		this.sockets.forEach(PortForwarder::closeQuietly);
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// already closed
		}
	}

}
