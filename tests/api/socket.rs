//! The real server on a real socket, spoken to in plain HTTP/1.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::common::*;
use actix_web::web;
use releasegate::app::AppState;
use releasegate::policy::Role;
use releasegate::service::accounts::{self, NewUser};

fn exchange(addr: SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[actix_web::test]
async fn serves_login_and_health_on_a_bound_port() {
    let db = TestDb::new();
    let s = settings(&db);
    let state = web::block(move || AppState::build(s))
        .await
        .unwrap()
        .unwrap();
    let pool = state.pool.clone();
    web::block(move || {
        let conn = &mut pool.get().unwrap();
        accounts::add_department(conn, "FGW", "市发展改革委").unwrap();
        accounts::add_user(
            conn,
            &NewUser {
                username: "alice",
                password: PASSWORD,
                roles: &[Role::Submitter],
                department: Some("FGW"),
                email: None,
            },
        )
        .unwrap();
    })
    .await
    .unwrap();
    let (server, addr) = releasegate::http::server(state, "127.0.0.1:0").unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let health = web::block(move || {
        exchange(
            addr,
            "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".into(),
        )
    })
    .await
    .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("{\"status\":\"ok\"}"), "{health}");

    let body = format!("{{\"username\":\"alice\",\"password\":\"{PASSWORD}\"}}");
    let login = web::block(move || {
        exchange(addr, format!("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()))
    })
    .await
    .unwrap();
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    assert!(login.contains("\"token\":\"ey"), "{login}");
    handle.stop(true).await;
}
