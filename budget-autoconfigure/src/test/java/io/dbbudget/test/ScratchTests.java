package io.dbbudget.test;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ScratchTests {

	@Test
	void badSetting() {
		try {
			PrivateServer.start(Map.of("max_connections", "banana"));
		}
		catch (Exception ex) {
			System.out.println("MESSAGE: " + ex.getMessage());
		}
	}

	@Test
	void twoAtOnceAndLeak() throws Exception {
		PrivateServer a = PrivateServer.builder().maxConnections(5).start();
		PrivateServer b = PrivateServer.builder().maxConnections(6).start();
		System.out.println("LEAK " + a + " " + b);
	}

	@Test
	void env() {
		System.out.println("SERVER " + TestServer.get());
	}

}
