//! The `gateway:` block, and what it inherits from the Flow's `with:`.

use super::coerce::{count, json_map, protocols, unknown_key, uses};
use super::{FlowWith, Loader, Place};
use crate::error::{Pos, Result};
use crate::flow::model::{Gateway, PodSettings, Protocol, Uses};
use crate::jina;
use crate::jina::keys::{self};
use crate::yaml::{Key, Node};

impl Loader {
    pub(super) fn gateway(
        &mut self,
        node: Option<&Node>,
        with: &FlowWith,
        flow_pos: Pos,
    ) -> Result<Gateway> {
        let pos = node.map_or(flow_pos, |n| n.pos);
        let own: Vec<(&Key, &Node)> = match node {
            Some(n) if !n.is_null() => n.as_map("gateway")?.iter().map(|(k, v)| (k, v)).collect(),
            _ => Vec::new(),
        };
        // Jina's gateway takes the Flow's common kwargs that are options of its own (its parser
        // ignores the executors' ones).
        let inherited = with
            .common
            .iter()
            .filter(|(k, _)| !keys::FLOW_TO_GATEWAY_BLACKLIST.contains(&k.name.as_str()))
            .filter(|(k, _)| keys::gateway_key(&k.name).is_some())
            .filter(|(k, _)| !own.iter().any(|(o, _)| o.name == k.name))
            .copied();
        let mut gw = Gateway {
            protocols: vec![Protocol::Grpc],
            replicas: 1,
            uses: None,
            uses_with: None,
            pod: PodSettings::default(),
            pos,
        };
        // Flow-level env reaches the gateway only; a `gateway: {env}` replaces it rather than
        // merging (Jina's `_add_gateway` updates its kwargs with the gateway section's).
        if !own.iter().any(|(k, _)| k.name == "env") {
            for (_, env) in &with.env {
                self.env_into(&mut gw.pod.env, env)?;
            }
        }
        for (key, value) in inherited.chain(own.iter().copied()) {
            self.gateway_key(&mut gw, key, value)?;
        }
        if let Some((key, value)) = own.iter().find(|(k, _)| k.name == "jcloud") {
            let context = crate::jcloud::Context::default();
            gw.pod.jcloud = self.jcloud(key, value, crate::jcloud::Scope::Gateway, &context);
        }
        Ok(gw)
    }

    pub(super) fn gateway_key(&mut self, gw: &mut Gateway, key: &Key, value: &Node) -> Result<()> {
        // `name` as written (for messages); matched as the argparse dest it is an alias of.
        let name = key.name.as_str();
        if self.pod_key(&mut gw.pod, key, value)? {
            return Ok(());
        }
        match keys::canonical_gateway_key(name) {
            "protocol" => gw.protocols = protocols(value)?,
            "replicas" => gw.replicas = count(value, "replicas")?,
            "uses" => gw.uses = self.gateway_uses(value)?,
            "uses_with" => gw.uses_with = Some(json_map(value, "uses_with")?),
            // Whatever it says (Jina casts it with `int()`, or warns and keeps the text), the
            // export replaces it: the pod's ports are fixed.
            "port" | "port_monitoring" => {
                self.warn(
                    key.pos,
                    format!("`{name}` is ignored on Kubernetes: the gateway listens on {} (one port per protocol) and monitoring on {}, as in Jina; expose it with `gateway.service`", jina::PORT, jina::MONITORING_PORT),
                );
            }
            _ => match keys::gateway_key(name) {
                Some(spec) => {
                    self.pass_through(&mut gw.pod.args, spec, key, value, Place::Gateway)?;
                }
                // Translated once the rest of the gateway is read.
                None if name == "jcloud" => {}
                None => {
                    if let Some(old) = crate::jina::legacy::gateway(name)
                        .or_else(|| crate::jina::legacy::executor(name))
                    {
                        return Err(super::old_syntax(key, old));
                    }
                    let all = keys::GATEWAY_KEYS.iter().map(|k| k.name);
                    return Err(unknown_key(key, "`gateway`", all));
                }
            },
        }
        Ok(())
    }

    pub(super) fn gateway_uses(&mut self, value: &Node) -> Result<Option<Uses>> {
        let text = value.as_str("uses")?;
        if jina::is_builtin_gateway(text) {
            return Ok(None);
        }
        Ok(Some(uses(value, "uses")?))
    }
}
