package io.dbbudget.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Ports on {@code 127.0.0.1} for tests.
 */
public final class Ports {

	private Ports() {
	}

	/**
	 * Returns a port where nothing listens, so that connections are refused as while a server
	 * is down.
	 * @return the port
	 */
	public static int closed() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not find a free port on 127.0.0.1", ex);
		}
	}

}
