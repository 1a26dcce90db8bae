// SPDX-License-Identifier: MIT
// Configuration's device rules: constraints added to the participants they match.
#include <algorithm>

#include <hbm/config.hpp>

#include "constraint_check.hpp"
#include "context_private.hpp"
#include "base/iommu.hpp"
#include "base/string_format.hpp"

namespace hbm {

std::vector<Participant> applyRules(const Config &config, std::vector<Participant> participants)
{
	for (Participant &p : participants) {
		for (const DeviceRule &rule : config.rules) {
			bool match = (!rule.drmDriver.empty() && rule.drmDriver == p.drmDriver()) ||
				     (!rule.sysfsPath.empty() && !p.sysfsPath.empty() && p.sysfsPath.rfind(rule.sysfsPath, 0) == 0) ||
				     (!rule.v4l2Card.empty() && rule.v4l2Card == p.v4l2Card());
			if (!match)
				continue;
			Constraints &c = p.constraints;
			std::string what;
			if (rule.contiguous) {
				c.placement.contiguous = *rule.contiguous;
				what += *rule.contiguous ? " contiguous" : " scattered allowed";
			}
			if (rule.contiguousWithoutIommu)
				what += " " + contiguousUnlessIommu(c.placement, iommuOf(p.sysfsPath));
			// What only tightens goes through the core's one rule; it cannot contradict.
			Constraints tighter;
			tighter.strideAlignment = rule.strideAlignment;
			tighter.offsetAlignment = rule.offsetAlignment;
			tighter.placement.addressLimit = rule.addressLimit;
			const uint64_t addressLimit = c.placement.addressLimit;
			SetBy ignored;
			(void)tightenConstraints(c, ignored, tighter, p.identity);
			if (c.placement.addressLimit != addressLimit)
				what += stringf(" address limit 0x%llx", (unsigned long long)rule.addressLimit);
			if (!rule.formats.empty()) {
				FormatSet only;
				for (uint32_t f : rule.formats)
					for (uint64_t m : c.formats.modifiers(f))
						only.add(f, m);
				c.formats = only;
				what += " formats restricted";
			}
			p.source += "; rule '" + rule.name + "' of " + config.origin + ":" + what;
		}
	}
	return participants;
}

} // namespace hbm
